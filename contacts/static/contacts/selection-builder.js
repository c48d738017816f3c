// Selection builder: edits {"match": "all"|"any", "conditions": [...]} as rows of inputs
// and writes the JSON back into the textarea that the form submits.
(function () {
  "use strict";
  const KINDS = ["field", "attribute", "tag", "group", "transaction", "block"];
  const VALUELESS = ["empty", "not_empty"];
  const ORDERED = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "empty", "not_empty"];
  const OPERATORS_FOR = {
    text: ["eq", "ne", "contains", "startswith", "gt", "gte", "lt", "lte", "in", "empty", "not_empty"],
    number: ORDERED,
    date: ORDERED,
    choice: ["eq", "ne", "in", "empty", "not_empty"],
    boolean: ["eq", "ne", "empty", "not_empty"],
  };

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    (children || []).forEach((c) => node.append(c));
    return node;
  }
  function select(options, value, label) {
    const s = el("select", { title: label });
    s.setAttribute("aria-label", label);
    options.forEach((o) => {
      const [v, t] = Array.isArray(o) ? o : [o, o];
      s.append(el("option", { value: v, textContent: t, selected: String(v) === String(value) }));
    });
    return s;
  }
  function input(value, label, type) {
    const i = el("input", { type: type || "text", value: value === undefined || value === null ? "" : value });
    i.setAttribute("aria-label", label);
    i.style.width = "12em";
    return i;
  }
  function kindOf(c) {
    if (c.conditions) return "block";
    return KINDS.find((k) => k in c) || "field";
  }
  function parseValue(text, op) {
    if (op === "in") return text.split(",").map((s) => s.trim()).filter(Boolean);
    const n = Number(text);
    return text !== "" && !Number.isNaN(n) && /^-?[\d.]+$/.test(text.trim()) ? n : text;
  }
  // The type of the value a condition compares with: an attribute's own type, a date for
  // created_at, text for the other contact fields.
  function valueType(kind, c, attribute) {
    if (c.op === "in") return "list";
    if (kind === "attribute") return (attribute || {}).type || "text";
    return c.field === "created_at" ? "date" : "text";
  }
  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function Builder(root) {
    const textarea = document.getElementById(root.dataset.target);
    const options = JSON.parse(document.getElementById(root.dataset.target + "_options").textContent);
    const ui = root.querySelector(".selection-builder-ui");
    const L = options.labels;
    const I = L.inputs;
    let state;
    try { state = JSON.parse(textarea.value || "{}"); } catch (e) { ui.textContent = "Invalid JSON: edit it below."; return; }
    state.match = state.match || "all";
    state.conditions = state.conditions || [];

    const countUrl = root.dataset.countUrl;
    const countOut = root.querySelector(".selection-count");
    const countError = root.querySelector(".selection-count-error");
    let countTimer = null;
    let countAsked = 0;

    // The live count: asked 400 ms after the last change; an older answer arriving late is ignored.
    function scheduleCount() {
      if (!countUrl) return;
      clearTimeout(countTimer);
      countTimer = setTimeout(count, 400);
    }
    async function count() {
      const asked = ++countAsked;
      countOut.textContent = L.counting;
      const body = { definition: state };
      const organization = document.getElementById("id_organization");
      if (organization) body.organization = organization.value;
      let shown = "—", error = "";
      try {
        const response = await fetch(countUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify(body),
        });
        const data = await response.json();
        if (response.ok) shown = String(data.count);
        else error = (data.errors || []).join(" ");
      } catch (e) {
        error = String(e);
      }
      if (asked !== countAsked) return;
      countOut.textContent = shown;
      countError.textContent = error;
    }

    function save() { textarea.value = JSON.stringify(state, null, 2); scheduleCount(); }

    // The input of a condition's value, typed after what it compares with.
    function valueInput(c, type, attribute) {
      const set = (value) => { if (value === "" || value === null || Number.isNaN(value)) delete c.value; else c.value = value; save(); };
      if (type === "boolean" || type === "choice") {
        const choices = type === "boolean" ? [[true, L.yes], [false, L.no]] : attribute.choices.map((x) => [x, x]);
        if (!choices.some(([v]) => v === c.value) && choices.length) c.value = choices[0][0];
        const s = select(choices, c.value, I.value);
        s.onchange = () => set(type === "boolean" ? s.value === "true" : s.value);
        return s;
      }
      const shown = Array.isArray(c.value) ? c.value.join(", ") : c.value;
      const i = input(shown, I.value, type === "number" ? "number" : type === "date" ? "date" : "text");
      if (type === "number") i.step = "any";
      const read = () => {
        if (type === "list") {
          const items = parseValue(i.value, "in");
          const numbers = attribute && attribute.type === "number" && items.every((x) => x !== "" && !Number.isNaN(Number(x)));
          return numbers ? items.map(Number) : items;
        }
        if (type === "number") return i.value === "" ? "" : Number(i.value);
        return i.value;
      };
      i.oninput = i.onchange = () => set(read());
      return i;
    }

    function conditionRow(list, index, depth) {
      const c = list[index];
      const kind = kindOf(c);
      const row = el("div", { className: "sb-row" });
      row.style.cssText = "display:flex;gap:.4em;align-items:center;flex-wrap:wrap;margin:.3em 0;";
      const kindSelect = select(KINDS.filter((k) => depth === 0 || k !== "block").map((k) => [k, L.kinds[k]]), kind, I.kind);
      kindSelect.onchange = () => {
        const fresh = {
          field: { field: "email", op: "eq", value: "" },
          attribute: { attribute: (options.attributes[0] || {}).key || "", op: "eq", value: "" },
          tag: { tag: options.tags[0] || "" },
          group: { group: (options.groups[0] || {}).id || "", state: "receiving" },
          transaction: { transaction: "", within_days: 30 },
          block: { match: "any", conditions: [] },
        }[kindSelect.value];
        list[index] = fresh; render();
      };
      row.append(kindSelect);
      const bind = (node, key, convert) => { node.onchange = () => { c[key] = convert ? convert(node.value) : node.value; if (c[key] === "" || c[key] === null) delete c[key]; save(); }; return node; };
      if (kind === "field" || kind === "attribute") {
        const name = kind === "field"
          ? select(options.fields, c.field, I.field)
          : select(options.attributes.map((a) => [a.key, a.label]), c.attribute, I.attribute);
        // Another field or attribute compares with another type of value: start afresh.
        name.onchange = () => { c[kind] = name.value; delete c.value; render(); };
        row.append(name);
        const attribute = options.attributes.find((a) => a.key === c.attribute);
        // Only the operators that make sense for the type ("contains" is for text).
        const allowed = OPERATORS_FOR[valueType(kind, { ...c, op: "eq" }, attribute)] || OPERATORS_FOR.text;
        if (c.op && !allowed.includes(c.op)) { c.op = "eq"; delete c.value; }
        const op = select(options.operators.filter(([key]) => allowed.includes(key)), c.op || "eq", I.operator);
        op.onchange = () => {
          const wasList = c.op === "in";
          c.op = op.value;
          if (VALUELESS.includes(op.value) || wasList !== (op.value === "in")) delete c.value;
          render();
        };
        row.append(op);
        if (!VALUELESS.includes(c.op)) {
          row.append(valueInput(c, valueType(kind, c, attribute), attribute));
        }
      } else if (kind === "tag") {
        row.append(bind(options.tags.length ? select(options.tags, c.tag, I.tag) : input(c.tag, I.tag), "tag"));
      } else if (kind === "group") {
        row.append(bind(select(options.groups.map((g) => [g.id, g.name]), c.group, I.group), "group", Number));
        row.append(bind(select(options.states, c.state || "receiving", I.state), "state"));
      } else if (kind === "transaction") {
        row.append(bind(input(c.transaction, I.transaction), "transaction"));
        row.append(el("span", { textContent: L.in_the_last }));
        const days = input(c.within_days, I.days, "number");
        days.style.width = "5em";
        row.append(bind(days, "within_days", (v) => (v === "" ? null : Number(v))));
        row.append(el("span", { textContent: L.days }));
      }
      if (kind !== "block") {
        const negate = el("input", { type: "checkbox", checked: !!c.negate });
        negate.onchange = () => { if (negate.checked) c.negate = true; else delete c.negate; save(); };
        row.append(el("label", {}, [negate, " " + L.not]));
      }
      const remove = el("button", { type: "button", className: "button", textContent: "✕" });
      remove.setAttribute("aria-label", L.remove);
      remove.onclick = () => { list.splice(index, 1); render(); };
      row.append(remove);
      if (kind === "block") {
        const box = el("div");
        box.style.cssText = "margin-left:2em;padding-left:.8em;border-left:3px solid #ddd;width:100%;";
        box.append(blockUi(c, 1));
        row.append(box);
      }
      return row;
    }

    function blockUi(block, depth) {
      const wrap = el("div");
      const match = select([["all", L.all], ["any", L.any]], block.match || "all", I.match);
      match.onchange = () => { block.match = match.value; save(); };
      wrap.append(el("div", {}, [L.match + " ", match, " " + L.of]));
      (block.conditions = block.conditions || []).forEach((_, i) => wrap.append(conditionRow(block.conditions, i, depth)));
      const add = el("button", { type: "button", className: "button", textContent: L.condition });
      add.onclick = () => { block.conditions.push({ field: "email", op: "eq", value: "" }); render(); };
      const buttons = el("div", {}, [add]);
      buttons.style.marginTop = ".4em";
      if (depth === 0) {
        const addBlock = el("button", { type: "button", className: "button", textContent: L.block });
        addBlock.style.marginLeft = ".5em";
        addBlock.onclick = () => { block.conditions.push({ match: "any", conditions: [] }); render(); };
        buttons.append(addBlock);
      }
      wrap.append(buttons);
      return wrap;
    }

    function render() { ui.replaceChildren(blockUi(state, 0)); save(); }
    textarea.addEventListener("change", () => { try { state = JSON.parse(textarea.value); ui.replaceChildren(blockUi(state, 0)); scheduleCount(); } catch (e) { /* keep typing */ } });
    const organization = document.getElementById("id_organization");
    if (organization) organization.addEventListener("change", scheduleCount);
    render();
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll(".selection-builder").forEach(Builder));
})();
