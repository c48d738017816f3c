// Selection builder: edits {"match": "all"|"any", "conditions": [...]} as rows of inputs
// and writes the JSON back into the textarea that the form submits.
(function () {
  "use strict";
  const KINDS = ["field", "attribute", "tag", "group", "transaction", "block"];
  const VALUELESS = ["empty", "not_empty"];

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

    function save() { textarea.value = JSON.stringify(state, null, 2); }

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
        row.append(bind(name, kind));
        const op = select(options.operators, c.op || "eq", I.operator);
        op.onchange = () => { c.op = op.value; if (VALUELESS.includes(op.value)) delete c.value; render(); };
        row.append(op);
        if (!VALUELESS.includes(c.op)) {
          const v = input(Array.isArray(c.value) ? c.value.join(", ") : c.value, I.value);
          v.onchange = () => { c.value = kind === "attribute" || c.op === "in" ? parseValue(v.value, c.op) : v.value; save(); };
          row.append(v);
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
    textarea.addEventListener("change", () => { try { state = JSON.parse(textarea.value); ui.replaceChildren(blockUi(state, 0)); } catch (e) { /* keep typing */ } });
    render();
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll(".selection-builder").forEach(Builder));
})();
