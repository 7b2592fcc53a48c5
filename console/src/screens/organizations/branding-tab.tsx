import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useAuth } from '../../auth/session';
import {
  deleteBrandingAsset, listBrandingAssets, orgKeys, updateBranding, uploadBrandingAsset, type Branding, type BrandingAsset, type Organization,
} from './api';
import { Button, ConfirmDialog, ErrorMessage, TextAreaField, TextField, useApiMutation } from '../../components';
import { DEFAULT_PRIMARY, LoginPreview, contrastWithWhite } from './login-preview';

type Draft = { companyName: string; primaryColor: string; logoUrl: string; faviconUrl: string; customCss: string };

const draftOf = (b: Branding): Draft => ({
  companyName: b.companyName ?? '',
  primaryColor: b.primaryColor ?? '',
  logoUrl: b.logoUrl ?? '',
  faviconUrl: b.faviconUrl ?? '',
  customCss: b.customCss ?? '',
});

/** Only what changed; an emptied field is sent as null, which clears it. */
function patchOf(saved: Branding, draft: Draft): Partial<Branding> {
  const patch: Partial<Branding> = {};
  for (const key of Object.keys(draft) as (keyof Draft)[]) {
    const value = draft[key].trim() === '' ? null : key === 'customCss' ? draft[key] : draft[key].trim();
    if (value !== saved[key]) patch[key] = value;
  }
  return patch;
}

/** Branding fields with a live preview of the sign-in page, and the uploaded logo and favicon. */
export function BrandingTab({ org }: { org: Organization }) {
  const { can } = useAuth();
  const canEdit = can('admin:org:update');
  const [draft, setDraft] = useState<Draft>(() => draftOf(org.branding));
  const [saved, setSaved] = useState(false);
  const set = (key: keyof Draft) => (value: string) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [key]: value }));
  };
  const assets = useQuery({ queryKey: orgKeys.part(org.id, 'assets'), queryFn: () => listBrandingAssets(org.id) });
  const logoAsset = assets.data?.find((a) => a.assetType === 'logo');
  const save = useApiMutation(() => updateBranding(org.id, patchOf(org.branding, draft)), { invalidate: [orgKeys.one(org.id), orgKeys.all] });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const updated = await save.mutateAsync().catch(() => null);
    if (updated) {
      setDraft(draftOf(updated.branding));
      setSaved(true);
    }
  };

  const color = draft.primaryColor.trim() || DEFAULT_PRIMARY;
  const contrast = contrastWithWhite(color);
  const previewLogo = logoAsset ? `/${org.slug}/branding/logo?v=${encodeURIComponent(logoAsset.updatedAt)}` : draft.logoUrl.trim() || null;
  const isDirty = Object.keys(patchOf(org.branding, draft)).length > 0;

  return (
    <div className="branding-editor">
      <div className="branding-fields">
      <form className="form" onSubmit={(e) => void submit(e)} aria-label="Branding">
        <TextField label="Company name" name="companyName" value={draft.companyName} onChange={set('companyName')} description={`Shown on the pages and e-mails; empty means the organization's name (${org.name}).`} isDisabled={!canEdit} />
        <div className="color-row">
          <TextField label="Primary colour" name="primaryColor" value={draft.primaryColor} onChange={set('primaryColor')} description={`#RRGGBB; empty means Porta's default (${DEFAULT_PRIMARY}).`} isDisabled={!canEdit} />
          <input type="color" aria-label="Pick the primary colour" value={/^#[0-9a-fA-F]{6}$/.test(color) ? color.toLowerCase() : DEFAULT_PRIMARY} onChange={(e) => set('primaryColor')(e.target.value.toUpperCase())} disabled={!canEdit} />
        </div>
        {contrast < 4.5 ? <p className="field-warning" role="status">White button text on this colour has a contrast of {contrast.toFixed(1)}:1; WCAG AA asks for 4.5:1.</p> : null}
        <TextField label="Logo URL" name="logoUrl" value={draft.logoUrl} onChange={set('logoUrl')} description={logoAsset ? 'An uploaded logo is in use; it wins over this URL.' : 'An https URL, or upload a file below.'} isDisabled={!canEdit} />
        <TextField label="Favicon URL" name="faviconUrl" value={draft.faviconUrl} onChange={set('faviconUrl')} description="An https URL, or upload a file below." isDisabled={!canEdit} />
        <TextAreaField label="Custom CSS" name="customCss" value={draft.customCss} onChange={set('customCss')} description="Placed after the default styles; at most 10,000 characters, no “<”. The preview applies it as you type." isDisabled={!canEdit} />
        {save.error ? <ErrorMessage error={save.error} /> : null}
        {saved ? <p className="field-success" role="status">Branding saved.</p> : null}
        {canEdit ? (
          <div className="form-actions">
            <Button type="submit" variant="primary" isDisabled={save.isPending || !isDirty}>Save branding</Button>
            <Button variant="secondary" isDisabled={!isDirty} onPress={() => setDraft(draftOf(org.branding))}>Discard changes</Button>
          </div>
        ) : null}
      </form>
      <AssetUploads org={org} assets={assets.data ?? []} canEdit={canEdit} error={assets.error} />
      </div>
      <section className="preview-pane" aria-label="Live preview">
        <h3>Live preview: sign-in page</h3>
        <LoginPreview orgName={org.name} methods={org.defaultLoginMethods} branding={{ companyName: draft.companyName, primaryColor: color, logoUrl: previewLogo, customCss: draft.customCss }} />
        {!logoAsset && draft.logoUrl.trim() ? <p className="field-description">The console loads no images from other sites: the real page shows the logo at that URL, the preview its text alternative.</p> : null}
        <p className="field-description">Shown in English with the organization's saved sign-in methods. Pages in templates/{org.slug}/ or locales/{org.slug}/ override parts of the real page.</p>
      </section>
    </div>
  );
}

function AssetUploads({ org, assets, canEdit, error }: { org: Organization; assets: BrandingAsset[]; canEdit: boolean; error: unknown }) {
  const invalidate = { invalidate: [orgKeys.part(org.id, 'assets')] };
  const upload = useApiMutation((v: { type: 'logo' | 'favicon'; file: File }) => uploadBrandingAsset(org.id, v.type, v.file), invalidate);
  const remove = useApiMutation((type: 'logo' | 'favicon') => deleteBrandingAsset(org.id, type), invalidate);
  return (
    <fieldset className="fieldset">
      <legend>Uploaded files</legend>
      {error ? <ErrorMessage error={error} /> : null}
      {(['logo', 'favicon'] as const).map((type) => {
        const asset = assets.find((a) => a.assetType === type);
        return (
          <div key={type} className="asset-row">
            <span>{type === 'logo' ? 'Logo' : 'Favicon'}: {asset ? `${asset.contentType}, ${Math.ceil(asset.fileSize / 1024)} KB` : 'none uploaded'}</span>
            {canEdit ? (
              <>
                <label className="button button-secondary file-button">
                  Upload {type}
                  <input
                    type="file"
                    className="visually-hidden"
                    accept="image/png,image/jpeg,image/webp,image/svg+xml,image/x-icon,image/vnd.microsoft.icon"
                    onChange={(e) => {
                      const file = e.target.files?.[0];
                      if (file) upload.mutate({ type, file });
                      e.target.value = '';
                    }}
                  />
                </label>
                {asset ? (
                  <ConfirmDialog
                    title={`Delete the uploaded ${type}?`}
                    description={`The ${type} file of ${org.name} is deleted; its pages fall back to the ${type} URL field, if any.`}
                    confirmLabel={`Delete ${type}`}
                    destructive
                    onConfirm={() => remove.mutateAsync(type)}
                    trigger={<Button variant="danger">Delete {type}</Button>}
                  />
                ) : null}
              </>
            ) : null}
          </div>
        );
      })}
      {upload.error ? <ErrorMessage error={upload.error} /> : null}
      <p className="field-description">PNG, JPEG, WebP, SVG or ICO, up to 512 KB. An uploaded file wins over the URL field.</p>
    </fieldset>
  );
}
