/*
 * The rewards list, the redeem confirmation, and a code with its copy button.
 */
import { copyText, h, replaceChildren } from "./dom.js";

export function describeReward(t, reward) {
  switch (reward.kind) {
    case "fixed_amount": return t("reward_fixed_amount", { value: t.money(reward.value) });
    case "percentage": return t("reward_percentage", { value: t.number(reward.value) });
    case "free_shipping": return t("reward_free_shipping");
    case "free_product": return t("reward_free_product");
    case "variable": return t("reward_variable", { value: t.money(reward.value), points: t("points", { count: reward.points_cost }) });
    default: return "";
  }
}

export function codeBlock(t, code, { label = t("code_ready"), copy = t("copy") } = {}) {
  const input = h("input", { attrs: { readonly: true, type: "text" }, aria: { label }, value: code });
  const status = h("p", { className: "lw-status", attrs: { role: "status" } });
  const button = h("button", {
    className: "lw-button lw-secondary", attrs: { type: "button" },
    on: { click: async () => {
      const copied = await copyText(code, input);
      status.textContent = copied ? t("copied") : t("copy_failed");
    } }
  }, copy);
  return h("div", null, h("div", { className: "lw-code" }, input, button), status);
}

function blockedText(t, reward) {
  if (reward.blocked_by === "tier") { return t("needs_tier", { tier: reward.required_tier_name || "VIP" }); }
  if (reward.blocked_by === "limit") { return t("limit_reached"); }
  return t("needs_points", { count: reward.points_short });
}

function variableBounds(reward, available) {
  const step = reward.points_cost;
  const min = reward.min_points || step;
  let max = Math.min(reward.max_points || available, available);
  max -= max % step;
  return { min, max: Math.max(min, max), step };
}

function confirmBox(ctx, reward, actions, restore) {
  const t = ctx.t;
  const bounds = reward.kind === "variable" ? variableBounds(reward, actions.available) : null;
  const points = bounds ? h("input", {
    className: "lw-input", attrs: { type: "number", id: "lw-points-" + reward.id, min: bounds.min, max: bounds.max,
                                    step: bounds.step, inputmode: "numeric" }, value: bounds.min }) : null;
  const spend = () => (points ? Number(points.value) : reward.points_cost);
  const question = h("p", { attrs: { id: "lw-q-" + reward.id } });
  const say = () => { question.textContent = t("confirm_question", { points: t("points", { count: spend() }), reward: reward.name }); };
  say();
  if (points) { points.addEventListener("input", say); }
  const confirm = h("button", { className: "lw-button", attrs: { type: "button" }, aria: { describedby: "lw-q-" + reward.id } }, t("confirm"));
  const cancel = h("button", { className: "lw-button lw-secondary", attrs: { type: "button" }, on: { click: restore } }, t("cancel"));
  confirm.addEventListener("click", () => {
    if (points && !points.checkValidity()) { points.reportValidity(); return; }
    confirm.disabled = true;
    cancel.disabled = true;
    confirm.textContent = t("redeeming");
    actions.onRedeem(reward, points ? spend() : null).then((done) => { if (!done) { restore(); } });
  });
  const box = h("div", { className: "lw-confirm", attrs: { role: "group" }, aria: { labelledby: "lw-q-" + reward.id } },
    points ? h("label", { className: "lw-label", attrs: { for: "lw-points-" + reward.id } }, t("choose_points")) : null,
    points, question, h("div", { className: "lw-actions" }, confirm, cancel));
  return { box, first: points || confirm };
}

function rewardItem(ctx, reward, options) {
  const t = ctx.t;
  const cost = reward.kind === "variable" ? describeReward(t, reward) : t("points", { count: reward.points_cost });
  const details = [reward.kind === "variable" ? null : describeReward(t, reward), cost,
    Number(reward.min_order_subtotal) > 0 ? t("reward_min_order", { amount: t.money(reward.min_order_subtotal) }) : null];
  const action = h("div");
  const item = h("li", { className: "lw-item" },
    h("div", { className: "lw-item-main" }, h("span", { className: "lw-item-name" }, reward.name),
      h("span", { className: "lw-muted" }, details.filter(Boolean).join(" · ")),
      reward.description ? h("span", { className: "lw-muted" }, reward.description) : null,
      options.signedIn && !reward.affordable ? h("span", { className: "lw-muted" }, blockedText(t, reward)) : null,
      action));
  if (!options.signedIn) { return item; }
  const button = h("button", {
    className: "lw-button", attrs: { type: "button", disabled: !reward.affordable },
    aria: { label: t("redeem_label", { reward: reward.name }) }
  }, t("redeem"));
  const restore = () => { replaceChildren(action); item.appendChild(button); button.focus(); };
  button.addEventListener("click", () => {
    const { box, first } = confirmBox(ctx, reward, options, restore);
    button.remove();
    replaceChildren(action, box);
    first.focus();
  });
  item.appendChild(button);
  return item;
}

export function rewardsSection(ctx, rewards, options) {
  if (!rewards.length) { return null; }
  return h("section", { className: "lw-section" }, h("h3", null, ctx.t("section_rewards")),
    h("ul", { className: "lw-list" }, rewards.map((reward) => rewardItem(ctx, reward, options))));
}
