// Sends the chosen .eml or .msg file to /reports/upload as raw bytes (the server has no
// multipart parser), with the CSRF token in the x-csrf-token header. Served by the reports
// capability at /reports/assets/report-upload.js (same origin: the CSP allows it).
const form = document.getElementById('report-upload')
if (form) {
  const section = document.getElementById('report-upload-section')
  const fallback = document.getElementById('report-upload-fallback')
  const errorBox = document.getElementById('report-upload-error')
  const button = form.querySelector('button[type="submit"]')
  const input = form.querySelector('input[type="file"]')
  section.hidden = false
  if (fallback) fallback.hidden = true

  const show = (message) => {
    errorBox.querySelector('.app-report-upload-message').textContent = message
    errorBox.hidden = false
    errorBox.focus()
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    errorBox.hidden = true
    const file = input.files && input.files[0]
    if (!file) return show('Choose the .eml or .msg file of the suspicious message.')
    const max = Number(form.dataset.maxBytes)
    if (file.size > max) return show(`The file is too large: at most ${Math.floor(max / 1048576)} MB.`)
    button.disabled = true
    try {
      const res = await fetch(form.action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/octet-stream', 'x-csrf-token': form.dataset.csrf, 'x-filename': encodeURIComponent(file.name) },
        body: file,
      })
      const body = await res.json().catch(() => ({}))
      if (res.ok && body.reportId) {
        window.location.assign(`/reports/upload?sent=${encodeURIComponent(body.reportId)}`)
        return
      }
      show(body.message || (res.status === 413 ? 'The file is too large.' : 'The report could not be sent. Try again, or forward the message as an attachment.'))
    } catch {
      show('The report could not be sent: the connection failed. Try again.')
    } finally {
      button.disabled = false
    }
  })
}
