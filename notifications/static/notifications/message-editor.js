// The prepared-message editor: a field picker next to each text of a language variant that
// inserts a placeholder at the cursor, and a live preview of the variant being edited,
// rendered by the server as the chosen contact ~400 ms after the last change.
(function () {
  "use strict";
  const TEXTS = ["subject", "preheader", "html_body", "text_body"];
  const VARIANT = /^variants-(\d+)-(language|subject|preheader|html_body|text_body|DELETE)$/;

  function el(tag, props) {
    return Object.assign(document.createElement(tag), props || {});
  }
  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // The language variants on the page: {prefix, language, label}, without the empty template
  // row and those marked for deletion.
  function variants() {
    return Array.from(document.querySelectorAll('select[name^="variants-"][name$="-language"]'))
      .filter((s) => !s.name.includes("__prefix__"))
      .map((s) => ({ prefix: s.name.slice(0, -"-language".length), language: s.value, label: s.selectedOptions[0] ? s.selectedOptions[0].textContent : s.value }))
      .filter((v) => v.language && !(document.getElementById("id_" + v.prefix + "-DELETE") || {}).checked);
  }

  function picker(field, options) {
    const select = el("select", { className: "placeholder-picker border border-base-200 mt-1 px-2 py-1 rounded-default" });
    select.dataset.for = field.id;
    select.setAttribute("aria-label", options.insert);
    select.append(el("option", { value: "", textContent: options.insert }));
    options.placeholders.forEach((group) => {
      const optgroup = el("optgroup", { label: group.label });
      group.options.forEach(([label, text]) => optgroup.append(el("option", { value: text, textContent: label + " — " + text })));
      select.append(optgroup);
    });
    select.style.cssText = "margin-left: .5em; max-width: 16em;";
    select.addEventListener("change", () => {
      if (!select.value) return;
      const start = field.selectionStart === null ? field.value.length : field.selectionStart;
      const end = field.selectionEnd === null ? start : field.selectionEnd;
      field.setRangeText(select.value, start, end, "end");
      select.value = "";
      field.focus();
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
    return select;
  }

  function addPickers(root, options) {
    root.querySelectorAll("input, textarea").forEach((field) => {
      const match = VARIANT.exec(field.name || "");
      if (!match || !TEXTS.includes(match[2]) || field.name.includes("__prefix__")) return;
      if (document.querySelector('.placeholder-picker[data-for="' + field.id + '"]')) return;
      field.after(picker(field, options));
    });
  }

  function Preview(panel) {
    const url = panel.dataset.url;
    const contact = document.getElementById("message-preview-contact");
    const language = document.getElementById("message-preview-language");
    const error = document.getElementById("message-preview-error");
    const subject = document.getElementById("message-preview-subject");
    const html = document.getElementById("message-preview-html");
    const text = document.getElementById("message-preview-text");
    let timer = null;
    let asked = 0;

    function fillLanguages() {
      const chosen = language.value;
      const found = variants();
      language.replaceChildren(...found.map((v) => el("option", { value: v.language, textContent: v.label })));
      if (found.some((v) => v.language === chosen)) language.value = chosen;
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(render, 400);
    }
    async function render() {
      const variant = variants().find((v) => v.language === language.value);
      if (!variant) return;
      const draft = { language: variant.language, contact: contact.value };
      TEXTS.forEach((name) => { const field = document.getElementById("id_" + variant.prefix + "-" + name); draft[name] = field ? field.value : ""; });
      const marketing = document.getElementById("id_is_marketing");
      draft.is_marketing = marketing ? marketing.checked : true;
      const organization = document.getElementById("id_organization");
      if (organization) draft.organization = organization.value;
      const mine = ++asked;
      let data, ok;
      try {
        const response = await fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify(draft),
        });
        ok = response.ok;
        data = await response.json();
      } catch (e) {
        ok = false;
        data = { errors: { __all__: [String(e)] } };
      }
      if (mine !== asked) return; // a newer preview is on its way
      if (!ok) {
        error.textContent = Object.values(data.errors || {}).flat().join(" ");
        error.style.display = "";
        return;
      }
      error.style.display = "none"; // the admin's errornote style would show an empty box
      error.textContent = "";
      subject.textContent = data.subject;
      html.srcdoc = data.html || "";
      html.hidden = !data.html;
      text.textContent = data.text;
    }

    contact.addEventListener("change", () => {
      const option = contact.selectedOptions[0];
      const wanted = option ? option.dataset.language : "";
      if (variants().some((v) => v.language === wanted)) language.value = wanted;
      schedule();
    });
    language.addEventListener("change", render);
    document.addEventListener("input", (event) => { if (VARIANT.test(event.target.name || "")) schedule(); });
    document.addEventListener("change", (event) => {
      const name = event.target.name || "";
      if (VARIANT.test(name) || name === "is_marketing" || name === "organization") { fillLanguages(); schedule(); }
    });
    document.addEventListener("formset:added", () => { fillLanguages(); schedule(); });
    document.addEventListener("formset:removed", () => { fillLanguages(); schedule(); });
    fillLanguages();
    const first = contact.selectedOptions[0];
    if (first && variants().some((v) => v.language === first.dataset.language)) language.value = first.dataset.language;
    render();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const data = document.getElementById("message-editor-options");
    if (!data) return;
    const options = JSON.parse(data.textContent);
    addPickers(document, options);
    document.addEventListener("formset:added", (event) => addPickers(event.target, options));
    const panel = document.getElementById("message-preview");
    if (panel) Preview(panel);
  });
})();
