import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useNavigate } from '../../router';
import { Button, ErrorMessage, PageHeader, TextAreaField, TextField, useApiMutation } from '../../components';
import type { Application, Data } from './types';

/** `/applications/new`. The slug is derived from the name when left empty and is fixed afterwards. */
export function ApplicationCreateScreen() {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [description, setDescription] = useState('');
  const create = useApiMutation(
    () => api<Data<Application>>('/applications', { method: 'POST', body: { name, slug: slug.trim() || undefined, description: description.trim() || undefined } }),
    { invalidate: [['applications']] },
  );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { data } = await create.mutateAsync(undefined);
    navigate(`/applications/${data.slug}`);
  };

  return (
    <>
      <PageHeader title="New application" />
      <form className="form" onSubmit={(e) => void submit(e).catch(() => undefined)}>
        <TextField label="Name" name="name" value={name} onChange={setName} isRequired />
        <TextField label="Slug" name="slug" value={slug} onChange={setSlug} description="3–100 lowercase letters, digits and hyphens, unique across Porta. Derived from the name when empty; it cannot change later." />
        <TextAreaField label="Description" name="description" value={description} onChange={setDescription} />
        {create.error ? <ErrorMessage error={create.error} /> : null}
        <div className="button-row">
          <Button variant="primary" type="submit" isDisabled={create.isPending || !name.trim()}>Create application</Button>
        </div>
      </form>
    </>
  );
}
