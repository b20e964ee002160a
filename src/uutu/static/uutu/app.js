// uutu: small progressive enhancements; every page works without them.
// A form cannot be sent twice by a double tap: its submit buttons are disabled
// once it is on its way.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if ((form.method || "").toLowerCase() !== "post" || form.hasAttribute("hx-post")) { return; }
  if (form.dataset.submitted) { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (b) {
    b.disabled = true;
  });
}, true);
