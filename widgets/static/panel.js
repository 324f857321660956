/*
 * The rewards panel: a modal dialog in the widget's shadow root. Opening moves focus
 * into it, Tab stays inside, Escape or the close button closes it and gives focus
 * back to the launcher.
 */
import { focusable, h, newIdempotencyKey, replaceChildren } from "./dom.js";
import { customerView, guestView, issuedCode } from "./views.js";

const ERROR_MESSAGES = {
  insufficient_points: "error_insufficient_points",
  rate_limited: "error_rate_limited",
  provider_not_configured: "error_unavailable",
  provider_unavailable: "error_points_returned",
  provider_rejected: "error_points_returned",
  redemption_in_progress: "error_in_progress",
  reward_not_found: "error_reward_unavailable",
  reward_inactive: "error_reward_unavailable",
  reward_archived: "error_reward_unavailable",
  tier_required: "error_tier_required",
  redemption_limit_reached: "error_limit_reached",
  invalid_points_amount: "error_points_amount",
  points_below_minimum: "error_points_amount",
};
// The platform may take its full deadline to create a code; the service answers after it.
const REDEEM_TIMEOUT_MS = 45000;

export function createPanel(ctx) {
  const { t, launcher, wrapper, root } = ctx;
  const title = h("h2", { className: "lw-title", attrs: { id: "lw-title", tabindex: "-1" } },
    ctx.config.theme.launcher_text || t("panel_title"));
  const close = h("button", {
    className: "lw-close", attrs: { type: "button" }, aria: { label: t("close") },
    on: { click: () => hide(true) },
  }, "\u00d7");
  const alert = h("div", { className: "lw-alert", attrs: { role: "alert" } });
  const body = h("div");
  const dialog = h("div", {
    className: "lw-panel", attrs: { id: "lw-panel", role: "dialog", hidden: true },
    aria: { modal: "true", labelledby: "lw-title" },
  }, h("div", { className: "lw-head" }, title, close), h("div", { className: "lw-body" }, alert, body));
  wrapper.appendChild(dialog);
  launcher.setAttribute("aria-controls", "lw-panel");

  let issued = null; // the code just redeemed: shown on top until the panel closes
  let loaded = false;
  // A redemption whose answer never arrived is retried under the same key, so it cannot run twice.
  const unanswered = new Map();

  function render(nodes) {
    replaceChildren(body, ...nodes);
  }

  function show() {
    dialog.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    title.focus();
    if (!loaded) { load(false); }
  }

  function hide(returnFocus) {
    if (dialog.hidden) { return; }
    dialog.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    alert.textContent = "";
    if (issued) { issued = null; loaded = false; }
    if (returnFocus) { launcher.focus(); }
  }

  async function load(fresh) {
    loaded = true;
    dialog.setAttribute("aria-busy", "true");
    if (!body.firstChild) { render([h("p", { className: "lw-muted" }, t("loading"))]); }
    try {
      const result = await ctx.request("/summary", { fresh });
      const error = result.body && result.body.error;
      if (result.status === 404 && ctx.signedIn && error && error.code === "customer_not_found") {
        const guest = await ctx.request("/summary", { anonymous: true });
        if (!guest.ok) { throw new Error("summary answered " + guest.status); }
        render(guestView(ctx, guest.body, { newMember: true }));
      } else if (!result.ok) {
        throw new Error("summary answered " + result.status);
      } else if (result.body.mode === "customer") {
        render(customerView(ctx, result.body, {
          issuedSlot: issued ? issued.box : null, onRedeem: redeem,
        }));
      } else {
        render(guestView(ctx, result.body, { newMember: false }));
      }
    } catch (error) {
      loaded = false;
      render([h("p", null, t("error_load")), h("button", {
        className: "lw-button", attrs: { type: "button" }, on: { click: () => load(true) },
      }, t("retry"))]);
    } finally {
      dialog.removeAttribute("aria-busy");
    }
  }

  async function redeem(reward, points) {
    alert.textContent = "";
    const payload = JSON.stringify(points === null ? { reward_id: reward.id } : { reward_id: reward.id, points });
    const key = unanswered.get(payload) || newIdempotencyKey();
    unanswered.set(payload, key);
    let result;
    try {
      result = await ctx.request("/redemptions", {
        method: "POST", body: payload, fresh: true, timeout: REDEEM_TIMEOUT_MS,
        headers: { "Content-Type": "application/json", "Idempotency-Key": key },
      });
      unanswered.delete(payload);
    } catch (error) {
      result = { ok: false, status: 0, body: {} };
    }
    if (!result.ok || !result.body.code) {
      const code = result.body && result.body.error ? result.body.error.code : "";
      alert.textContent = t(ERROR_MESSAGES[code] || "error_generic");
      return false;
    }
    issued = issuedCode(t, result.body.code);
    await load(true);
    issued.focusTarget.focus();
    return true;
  }

  function onKeydown(event) {
    if (dialog.hidden) { return; }
    if (event.key === "Escape") {
      event.preventDefault();
      hide(true);
      return;
    }
    if (event.key !== "Tab") { return; }
    const items = focusable(dialog);
    if (!items.length) { return; }
    const index = items.indexOf(root.activeElement);
    if (event.shiftKey && index <= 0) {
      event.preventDefault();
      items[items.length - 1].focus();
    } else if (!event.shiftKey && (index === -1 || index === items.length - 1)) {
      event.preventDefault();
      items[0].focus();
    }
  }

  dialog.addEventListener("keydown", onKeydown);
  // A click elsewhere on the page closes the panel and leaves focus where the shopper put it.
  document.addEventListener("pointerdown", (event) => {
    if (!dialog.hidden && !event.composedPath().includes(wrapper)) { hide(false); }
  });

  return { show, hide, toggle: () => (dialog.hidden ? show() : hide(true)) };
}
