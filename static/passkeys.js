// Porta's passkey pages (spec 70 §1). Each `form[data-passkey]` is a WebAuthn ceremony: the form stays
// hidden until this script finds WebAuthn in the browser; then a click (or, on the login page, picking a
// passkey from the e-mail field's autofill) asks Porta for fresh options, runs the ceremony with
// @simplewebauthn/browser (served by Porta beside this file), puts the authenticator's answer in the
// form and posts it with the page's CSRF token. Everything else on the pages works without JavaScript.
(function () {
  'use strict';

  var lib = window.SimpleWebAuthnBrowser;
  var forms = Array.prototype.slice.call(document.querySelectorAll('form[data-passkey]'));
  if (forms.length === 0) return;

  function reveal(selector) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (el) {
      el.hidden = false;
    });
  }

  if (!lib || !lib.browserSupportsWebAuthn()) {
    reveal('[data-passkey-unsupported]');
    return;
  }

  function isAbort(err) {
    return err && (err.name === 'AbortError' || err.code === 'ERROR_CEREMONY_ABORTED');
  }

  function wire(form) {
    var purpose = form.getAttribute('data-passkey');
    var root = form.closest('[data-passkey-root]') || document;
    var errorBox = root.querySelector('[data-passkey-error]');
    var button = form.querySelector('button[type=submit]');
    var isBusy = false;

    function fetchOptions() {
      var body = new URLSearchParams();
      body.set('_csrf', form.elements._csrf.value);
      body.set('purpose', purpose);
      return fetch(form.getAttribute('data-options-url'), {
        method: 'POST',
        body: body,
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      }).then(function (res) {
        if (!res.ok) throw new Error('passkey options: HTTP ' + res.status);
        return res.json();
      }).then(function (answer) {
        return answer.options;
      });
    }

    function ceremony(isAutofill) {
      return fetchOptions().then(function (optionsJSON) {
        if (purpose === 'registration') return lib.startRegistration({ optionsJSON: optionsJSON });
        return lib.startAuthentication({ optionsJSON: optionsJSON, useBrowserAutofill: isAutofill });
      });
    }

    function post(response) {
      form.elements.response.value = JSON.stringify(response);
      // HTMLFormElement.submit() skips the submit handler below: the answer goes straight to Porta.
      form.submit();
    }

    function fail(err) {
      isBusy = false;
      if (button) button.disabled = false;
      if (!isAbort(err) && errorBox) errorBox.hidden = false;
    }

    form.hidden = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (isBusy) return;
      isBusy = true;
      if (button) button.disabled = true;
      if (errorBox) errorBox.hidden = true;
      ceremony(false).then(post, fail);
    });

    // Conditional UI: the browser offers the user's passkeys in the e-mail field (autocomplete "username
    // webauthn"); a click on the button above aborts this request and starts its own.
    if (form.hasAttribute('data-conditional') && lib.browserSupportsWebAuthnAutofill) {
      lib.browserSupportsWebAuthnAutofill().then(function (isSupported) {
        if (!isSupported) return;
        ceremony(true).then(post, function () {
          // Aborted by the button, or nothing picked: the page stays as it is.
        });
      });
    }
  }

  forms.forEach(wire);
})();
