/*
 * The panel's sections, built from the widget API's JSON. Only text nodes carry
 * the shop's and the customer's words.
 */
import { h, safeLink } from "./dom.js";
import { codeBlock, describeReward, rewardsSection } from "./rewards.js";

function section(title, ...children) {
  return h("section", { className: "lw-section" }, title ? h("h3", null, title) : null, ...children);
}

function pointsText(t, count) {
  return t("points", { count });
}

function thresholdText(t, tier, basis) {
  if (basis === "amount_spent") { return t("tier_from_amount", { amount: t.money(tier.threshold) }); }
  if (basis === "order_count") { return t("tier_from_orders", { count: Number(tier.threshold) }); }
  return t("tier_from_points", { count: Number(tier.threshold) });
}

function remainingText(t, tier) {
  const name = tier.next.name;
  if (tier.basis === "amount_spent") {
    return t("tier_to_next_amount", { amount: t.money(tier.remaining), tier: name });
  }
  const key = tier.basis === "order_count" ? "tier_to_next_orders" : "tier_to_next_points";
  return t(key, { count: Math.ceil(Number(tier.remaining)), tier: name });
}

function balance(t, customer) {
  return section(null,
    customer.first_name ? h("p", { className: "lw-greeting" }, t("greeting", { name: customer.first_name }))
      : h("p", { className: "lw-greeting" }, t("greeting_anonymous")),
    h("div", { className: "lw-balance" },
      h("p", null, h("span", { className: "lw-big" }, t.number(customer.available)),
        h("span", { className: "lw-label" }, t("available"))),
      customer.pending > 0 ? h("p", null, h("span", { className: "lw-big" }, t.number(customer.pending)),
        h("span", { className: "lw-label" }, t("pending"))) : null));
}

function tierStanding(t, tier) {
  if (!tier.current && !tier.next) { return null; }
  const parts = [h("p", { className: "lw-item-name" },
    tier.current ? t("tier_current", { tier: tier.current.name }) : t("tier_none"))];
  if (tier.next) {
    const fill = h("span");
    fill.style.width = Math.max(0, Math.min(100, Number(tier.percent))) + "%";
    parts.push(h("div", {
      className: "lw-bar", attrs: { role: "progressbar" },
      aria: { label: t("tier_progress_label", { tier: tier.next.name }), valuemin: 0, valuemax: 100,
              valuenow: tier.percent }
    }, fill), h("p", { className: "lw-muted" }, remainingText(t, tier)));
  } else {
    parts.push(h("p", { className: "lw-muted" }, t("tier_top")));
  }
  if (tier.current && tier.current.perks.length) {
    parts.push(h("ul", { className: "lw-list" },
      tier.current.perks.map((perk) => h("li", { className: "lw-muted" }, perk))));
  }
  return section(null, ...parts);
}

function codesSection(t, codes) {
  if (!codes.length) { return section(t("section_codes"), h("p", { className: "lw-muted" }, t("no_codes"))); }
  return section(t("section_codes"), h("ul", { className: "lw-list" }, codes.map((code) =>
    h("li", { className: "lw-item" }, h("div", { className: "lw-item-main" },
      h("span", { className: "lw-item-name" }, code.reward_name),
      h("span", { className: "lw-muted" }, t("code_" + code.status) + " · " + t("expires", { date: t.date(code.expires_at) })),
      code.status === "issued" ? codeBlock(t, code.code) : null)))));
}

function activitySection(t, activity) {
  if (!activity.length) { return section(t("section_activity"), h("p", { className: "lw-muted" }, t("no_activity"))); }
  return section(t("section_activity"), h("ul", { className: "lw-list" }, activity.map((entry) => {
    const label = t("activity_" + entry.kind) + (entry.status === "pending" ? " (" + t("activity_pending") + ")" : "");
    return h("li", { className: "lw-item" },
      h("div", { className: "lw-item-main" }, h("span", { className: "lw-item-name" }, label),
        h("span", { className: "lw-muted" }, [t.date(entry.created_at), entry.detail].filter(Boolean).join(" · "))),
      h("span", { className: entry.points > 0 ? "lw-plus" : "lw-minus" },
        (entry.points > 0 ? "+" : "\u2212") + t.number(Math.abs(entry.points))));
  })));
}

function referralSection(t, referral) {
  if (!referral) { return null; }
  return section(t("section_referral"), h("p", { className: "lw-muted" }, t("referral_body")),
    codeBlock(t, referral.link, { label: t("referral_link_label"), copy: t("copy_link") }));
}

function waysToEarn(t, program) {
  const items = [h("li", { className: "lw-item" }, t("earn_purchase", {
    points: pointsText(t, Number(program.points_per_unit)), amount: t.money(1) }))];
  if (program.signup_bonus_points > 0) {
    items.push(h("li", { className: "lw-item" }, t("earn_signup", { points: pointsText(t, program.signup_bonus_points) })));
  }
  for (const tier of program.tiers) {
    if (Number(tier.multiplier) > 1) {
      items.push(h("li", { className: "lw-item" }, t("earn_tier", { tier: tier.name, multiplier: t.number(tier.multiplier) })));
    }
  }
  return section(t("section_earn"), h("ul", { className: "lw-list" }, items));
}

function tiersSection(t, program) {
  if (!program.tiers.length) { return null; }
  return section(t("section_tiers"), h("ul", { className: "lw-list" }, program.tiers.map((tier) =>
    h("li", { className: "lw-item" }, h("div", { className: "lw-item-main" },
      h("span", { className: "lw-item-name" }, tier.name),
      h("span", { className: "lw-muted" }, [thresholdText(t, tier, program.tier_basis), ...tier.perks].join(" · ")))))));
}

export function customerView(ctx, data, actions) {
  const t = ctx.t;
  return [balance(t, data.customer), tierStanding(t, data.tier), actions.issuedSlot,
    rewardsSection(ctx, data.rewards, { signedIn: true, onRedeem: actions.onRedeem, available: data.customer.available }),
    codesSection(t, data.codes), referralSection(t, data.referral), activitySection(t, data.activity),
    waysToEarn(t, data.program)];
}

export function guestView(ctx, data, { newMember }) {
  const t = ctx.t;
  const links = ctx.config.links || {};
  const signIn = safeLink(links.sign_in);
  const signUp = safeLink(links.sign_up);
  const intro = newMember
    ? section(null, h("p", { className: "lw-greeting" }, t("greeting_anonymous")), h("p", { className: "lw-muted" }, t("new_member")))
    : section(null, h("p", { className: "lw-greeting" }, t("guest_title")), h("p", { className: "lw-muted" }, t("guest_body")),
      signIn || signUp ? h("div", { className: "lw-actions" },
        signUp ? h("a", { className: "lw-button", href: signUp }, t("sign_up")) : null,
        signIn ? h("a", { className: "lw-link", href: signIn }, t("sign_in")) : null) : null);
  return [intro, waysToEarn(t, data.program), tiersSection(t, data.program),
    rewardsSection(ctx, data.rewards, { signedIn: false })];
}

export function issuedCode(t, code) {
  const title = h("p", { className: "lw-item-name", attrs: { tabindex: "-1" } }, t("code_ready"));
  const box = h("div", { className: "lw-issued" }, title, h("span", null, code.reward_name || describeReward(t, code)),
    codeBlock(t, code.code), h("p", { className: "lw-muted" }, t("expires", { date: t.date(code.expires_at) })));
  return { box, focusTarget: title };
}
