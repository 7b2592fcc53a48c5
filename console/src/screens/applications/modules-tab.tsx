import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../auth/session';
import { Button, ConfirmDialog, ErrorMessage, TextAreaField, TextField, useApiMutation } from '../../components';
import { StatusBadge } from './applications-list';
import { ListTable } from './list-table';
import type { AppModule, Application, Data } from './types';

const modulesKey = (appId: string) => ['applications', appId, 'modules'];

/** Modules group an application's permissions; they are renamed or deactivated, never deleted. */
export function ModulesTab({ application }: { application: Application }) {
  const { can } = useAuth();
  const modules = useQuery({ queryKey: modulesKey(application.id), queryFn: () => api<Data<AppModule[]>>(`/applications/${application.id}/modules`).then((r) => r.data) });
  const [editing, setEditing] = useState<AppModule | null>(null);
  const canUpdate = can('admin:app:update');
  const deactivate = (module: AppModule) => api<void>(`/applications/${application.id}/modules/${module.id}/deactivate`, { method: 'POST' });

  return (
    <section aria-labelledby="modules-heading">
      <h2 id="modules-heading">Modules</h2>
      {modules.error ? <ErrorMessage error={modules.error} /> : null}
      {modules.data ? (
        <ListTable
          label="Modules"
          rows={modules.data}
          empty="No modules yet."
          columns={[
            { key: 'name', header: 'Name', render: (m) => m.name },
            { key: 'slug', header: 'Slug', render: (m) => <code>{m.slug}</code> },
            { key: 'description', header: 'Description', render: (m) => m.description ?? '' },
            { key: 'status', header: 'Status', render: (m) => <StatusBadge status={m.status} /> },
            {
              key: 'actions',
              header: 'Actions',
              render: (m) =>
                canUpdate ? (
                  <div className="button-row">
                    <Button variant="secondary" onPress={() => setEditing(m)}>Edit {m.name}</Button>
                    {m.status === 'active' ? (
                      <ConfirmDialog
                        title={`Deactivate module ${m.name}?`}
                        description={`The module “${m.slug}” becomes inactive. Its permissions stay as they are.`}
                        confirmLabel="Deactivate"
                        onConfirm={() => deactivate(m).then(() => modules.refetch()).then(() => undefined)}
                        trigger={<Button variant="secondary">Deactivate {m.name}</Button>}
                      />
                    ) : null}
                  </div>
                ) : null,
            },
          ]}
        />
      ) : null}
      {canUpdate && editing ? <ModuleForm key={editing.id} application={application} module={editing} onDone={() => setEditing(null)} /> : null}
      {canUpdate && !editing ? <ModuleForm key="new" application={application} onDone={() => undefined} /> : null}
    </section>
  );
}

function ModuleForm({ application, module, onDone }: { application: Application; module?: AppModule; onDone: () => void }) {
  const [name, setName] = useState(module?.name ?? '');
  const [slug, setSlug] = useState('');
  const [description, setDescription] = useState(module?.description ?? '');
  const save = useApiMutation(
    () =>
      module
        ? api<Data<AppModule>>(`/applications/${application.id}/modules/${module.id}`, { method: 'PUT', body: { name, description: description.trim() ? description : null } })
        : api<Data<AppModule>>(`/applications/${application.id}/modules`, { method: 'POST', body: { name, slug: slug.trim() || undefined, description: description.trim() || undefined } }),
    { invalidate: [modulesKey(application.id)] },
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await save.mutateAsync(undefined);
    if (!module) {
      setName('');
      setSlug('');
      setDescription('');
    }
    onDone();
  };
  return (
    <form className="form section-form" aria-label={module ? `Edit module ${module.name}` : 'New module'} onSubmit={(e) => void submit(e).catch(() => undefined)}>
      <h3>{module ? `Edit module ${module.name}` : 'New module'}</h3>
      <TextField label="Module name" name="moduleName" value={name} onChange={setName} isRequired />
      {module ? null : <TextField label="Module slug" name="moduleSlug" value={slug} onChange={setSlug} description="Unique within the application; derived from the name when empty." />}
      <TextAreaField label="Module description" name="moduleDescription" value={description} onChange={setDescription} />
      {save.error ? <ErrorMessage error={save.error} /> : null}
      <div className="button-row">
        <Button variant="primary" type="submit" isDisabled={save.isPending || !name.trim()}>{module ? 'Save module' : 'Add module'}</Button>
        {module ? <Button variant="secondary" onPress={onDone}>Cancel</Button> : null}
      </div>
    </form>
  );
}
