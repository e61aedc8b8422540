// Security keys and passkeys in the browser, for forms marked data-webauthn
// ("register" on /security/webauthn/new, "authenticate" on /signin/verify).
// The form stays hidden without JavaScript (the page says why); with it, a submit
// fetches options (CSRF token in the x-csrf-token header), asks the authenticator,
// puts its answer in the hidden "credential" field and submits the form for real, so
// the server renders what comes next (recovery codes, an error, the next page).
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from './simplewebauthn-browser/index.js'

const summary = document.getElementById('webauthn-error')
const summaryText = document.getElementById('webauthn-error-text')

/** Shows one message in the page's error summary and moves focus to it, as nhsuk does. */
function showError(message) {
  if (!summary || !summaryText) return
  summaryText.textContent = message
  summary.hidden = false
  if (!document.title.startsWith('Error: ')) document.title = `Error: ${document.title}`
  summary.focus()
}

// Messages for what the browser reports; anything else gets the generic one.
function messageFor(err, mode) {
  const name = err && typeof err === 'object' ? err.name : ''
  const code = err && typeof err === 'object' ? err.code : ''
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') {
    return 'This security key is already registered to your account. Use a different key.'
  }
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return 'The request to your security key was cancelled or timed out. Try again.'
  }
  return mode === 'register'
    ? 'Your security key could not be registered. Try again, or use an authenticator app instead.'
    : 'Your security key could not be used. Try again, or use another way to confirm it is you.'
}

async function fetchOptions(form) {
  const csrf = form.querySelector('input[name="_csrf"]').value
  const res = await fetch(form.dataset.optionsUrl, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'x-csrf-token': csrf, accept: 'application/json' },
  })
  const type = res.headers.get('content-type') || ''
  if (!res.ok || !type.includes('application/json')) throw new Error(`options: HTTP ${res.status}`)
  return res.json()
}

function wire(form) {
  const mode = form.dataset.webauthn
  const button = form.querySelector('button[type="submit"]')
  if (!browserSupportsWebAuthn()) {
    showError('This browser cannot use security keys. Use a different browser, or another way to confirm it is you.')
    return
  }
  form.hidden = false
  let busy = false
  form.addEventListener('submit', async (event) => {
    if (form.elements.credential.value) return // our own submit() below
    event.preventDefault()
    if (busy) return
    busy = true
    button.disabled = true
    try {
      const optionsJSON = await fetchOptions(form)
      const answer = mode === 'register' ? await startRegistration({ optionsJSON }) : await startAuthentication({ optionsJSON })
      form.elements.credential.value = JSON.stringify(answer)
      form.submit()
    } catch (err) {
      showError(messageFor(err, mode))
      button.disabled = false
      busy = false
    }
  })
}

for (const form of document.querySelectorAll('form[data-webauthn]')) wire(form)
