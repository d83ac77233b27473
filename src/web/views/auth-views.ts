/**
 * The pages shown before anyone is signed in: the login form, the first-run setup form (only to a browser on
 * the appliance itself), and the page telling a remote visitor how to set the first password.
 */
import { html, type Html } from '../html.js';
import { layout } from './layout.js';
import { MIN_PASSWORD_LENGTH } from '../password.js';

function notice(error: string | undefined): Html {
  return error === undefined ? html`` : html`<p class="error" role="alert">${error}</p>`;
}

/** The sign-in form. `next` is a local path to return to; `csrf` is empty (no session yet). */
export function loginPage(o: { next: string; error?: string; username?: string }): Html {
  const body = html`<section class="auth card">
  <h1>Sign in</h1>
  ${notice(o.error)}
  <form method="post" action="/login" class="stack">
    <input type="hidden" name="next" value="${o.next}">
    <label>User name <input name="username" autocomplete="username" required maxlength="64" value="${o.username ?? ''}" autofocus></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
    <button type="submit" class="primary">Sign in</button>
  </form>
</section>`;
  return layout({ title: 'Sign in', user: null, csrf: '', body });
}

/** First run, from the appliance itself: the setup code from the log, the admin's name and password. */
export function setupPage(o: { error?: string; username?: string }): Html {
  const body = html`<section class="auth card">
  <h1>Welcome to Argus Edge</h1>
  <p>No one can sign in yet. Choose the administrator's name and password (at least ${MIN_PASSWORD_LENGTH} characters).
  You can change it later under Settings → Your password, or with <code>argus-edge passwd</code>.</p>
  ${notice(o.error)}
  <form method="post" action="/setup" class="stack">
    <label>Setup code <input name="code" required maxlength="20" autocomplete="one-time-code" placeholder="XXXX-XXXX"
      aria-describedby="setup-code-help"></label>
    <p id="setup-code-help" class="muted">Printed in the appliance's log when it started (<code>journalctl -u argus-edge | grep 'setup code'</code>).</p>
    <label>User name <input name="username" autocomplete="username" required maxlength="64" value="${o.username ?? 'admin'}"></label>
    <label>Password <input name="password" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="1024" autofocus></label>
    <label>Password again <input name="confirm" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="1024"></label>
    <button type="submit" class="primary">Create administrator</button>
  </form>
</section>`;
  return layout({ title: 'First run', user: null, csrf: '', body });
}

/** First run, from another machine: setting the first password over the network is not offered. */
export function setupRefusedPage(): Html {
  const body = html`<section class="auth card">
  <h1>Argus Edge is not set up yet</h1>
  <p>No administrator password has been set. For safety the first password can only be set from the appliance itself:</p>
  <ul>
    <li>on the appliance, run <code>sudo argus-edge passwd</code> (or <code>argus-edge passwd --user admin</code>), or</li>
    <li>open this page in a browser on the appliance itself (<code>http://127.0.0.1</code>), or through an SSH tunnel such as
      <code>ssh -L 8080:127.0.0.1:8080 pi@appliance</code>.</li>
  </ul>
  <p>Then reload this page to sign in.</p>
</section>`;
  return layout({ title: 'Not set up', user: null, csrf: '', body });
}

/** A refusal page (403) for form posts from a browser: a missing token, a read-only account. */
export function refusedPage(o: { title: string; text: string }): Html {
  return layout({ title: o.title, user: null, csrf: '', body: html`<section class="auth card"><h1>${o.title}</h1><p>${o.text}</p><p><a href="/">Back to the dashboard</a></p></section>` });
}
