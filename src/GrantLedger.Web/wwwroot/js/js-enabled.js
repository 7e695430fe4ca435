// Marks the page as scripted before it paints, as GOV.UK Frontend expects (a file, not inline: the CSP allows no inline script).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
