// A form or submit button with data-confirm asks before an action that cannot be undone
// (signing, accepting, releasing a payment, submitting a report). Without JavaScript the
// action simply goes ahead, as the server still checks everything.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var text = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
  if (text && !window.confirm(text)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
