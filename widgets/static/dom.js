/*
 * Building the panel's DOM without ever parsing HTML: every text is a text node,
 * attributes come from a short allow-list, and links must be http(s).
 */

const ATTRIBUTES = new Set(["id", "role", "type", "tabindex", "hidden", "disabled", "min", "max",
  "step", "inputmode", "readonly", "for", "rel", "target", "autocomplete"]);

/**
 * h("button", {className: "x", aria: {label: "Close"}, on: {click: fn}}, "text", child)
 */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  const p = props || {};
  if (p.className) { node.className = p.className; }
  for (const [name, value] of Object.entries(p.attrs || {})) {
    if (ATTRIBUTES.has(name) && value !== null && value !== undefined && value !== false) {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const [name, value] of Object.entries(p.aria || {})) {
    if (value !== null && value !== undefined) { node.setAttribute("aria-" + name, String(value)); }
  }
  if (p.href) {
    const url = safeLink(p.href);
    if (url) { node.setAttribute("href", url); }
  }
  if ("value" in p) { node.value = String(p.value); }
  for (const [event, handler] of Object.entries(p.on || {})) {
    node.addEventListener(event, handler);
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) { continue; }
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function replaceChildren(node, ...children) {
  while (node.firstChild) { node.removeChild(node.firstChild); }
  return append(node, children);
}

/** The URL if it is an absolute http(s) address, else null: no javascript:, no data:. */
export function safeLink(value) {
  try {
    const url = new URL(String(value));
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch (error) {
    return null;
  }
}

/** Elements a keyboard user can reach inside ``container``, in tab order. */
export function focusable(container) {
  const selector = "button:not([disabled]), a[href], input:not([disabled]), [tabindex]:not([tabindex='-1'])";
  return Array.from(container.querySelectorAll(selector))
    .filter((node) => !node.closest("[hidden]") && node.getClientRects().length > 0);
}

export function newIdempotencyKey() {
  if (crypto.randomUUID) { return crypto.randomUUID(); }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Copy ``text``; when the clipboard is not available, select ``input`` for the user. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (error) {
    input.focus();
    input.select();
    return false;
  }
}
