// HTML of the BFF playground. Every value goes through `escape`.

export const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escape(title)}</title>
  <link rel="stylesheet" href="/style.css">
</head>
<body>
  <header>
    <h1>Porta BFF playground</h1>
    <p class="muted">A confidential client: tokens stay on this server, the browser holds only an HttpOnly session cookie.</p>
  </header>
  <main>
${body}
  </main>
</body>
</html>`;
}

const alert = (error) => (error ? `<p id="error" role="alert">${escape(error)}</p>` : '');

function table(id, values) {
  const rows = Object.entries(values).map(([name, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return `<tr><th>${escape(name)}</th><td data-claim="${escape(name)}">${escape(text)}</td></tr>`;
  });
  return `<table id="${id}"><tbody>${rows.join('')}</tbody></table>`;
}

export function signedOutPage({ issuer, error, isBackFromLogout }) {
  const status = isBackFromLogout ? 'You are signed out. Both tokens were revoked and your Porta session has ended.' : 'Not signed in.';
  return layout(
    'Porta BFF playground',
    `    <p id="status" role="status">${escape(status)}</p>
    ${alert(error)}
    <p><a class="button" id="login" href="/login">Sign in</a></p>
    <p class="muted">Issuer: ${escape(issuer)}</p>`,
  );
}

export function signedInPage({ issuer, session, error }) {
  const { claims, userinfo, expiresAt, refreshedAt } = session;
  const csrf = `<input type="hidden" name="csrf" value="${escape(session.csrf)}">`;
  return layout(
    'Signed in · Porta BFF playground',
    `    <p id="status" role="status">Signed in as <strong id="user">${escape(userinfo?.email ?? claims.sub)}</strong>.</p>
    ${alert(error)}
    <div class="actions">
      <form method="post" action="/refresh">${csrf}<button type="submit" id="refresh">Refresh tokens</button></form>
      <form method="post" action="/logout">${csrf}<button type="submit" id="logout">Sign out</button></form>
    </div>
    <p class="muted">Access token expires at <span id="expires-at">${escape(new Date(expiresAt).toISOString())}</span>${
      refreshedAt ? `; last refreshed at <span id="refreshed-at">${escape(new Date(refreshedAt).toISOString())}</span>` : ''
    }. Issuer: ${escape(issuer)}</p>
    <h2>UserInfo</h2>
    ${userinfo ? table('userinfo', userinfo) : '<p>UserInfo could not be read.</p>'}
    <h2>ID token claims</h2>
    <p class="muted">Signature, issuer, audience, expiry and nonce were checked on the server.</p>
    ${table('claims', claims)}`,
  );
}
