// Starts nhsuk-frontend's components (header menu, error summary focus, …).
// Why a file and not the inline snippet from nhsuk's page template: the CSP
// allows only same-origin scripts. Module scripts run only in browsers nhsuk
// supports, so this is also the right place to set its support classes.
import { initAll } from './nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()
