import { describe, expect, it } from "vitest";
import type { Role } from "@/db/schema";
import { refuseUserChange, USERNAME_PATTERN, type UserSnapshot } from "./user-rules";

const ACTOR = 1;
const admin = (id: number, disabled = false): UserSnapshot => ({ id, role: "admin", disabled });
const user = (id: number, role: Role, disabled = false): UserSnapshot => ({ id, role, disabled });

type Case = [
  name: string,
  actorId: number,
  target: UserSnapshot,
  change: { role?: Role; disabled?: boolean },
  enabledAdmins: number,
  refused: RegExp | null,
];

const LAST_ADMIN = /last enabled administrator/;
const SELF_DISABLE = /cannot disable your own account/;
const SELF_ROLE = /cannot change your own role/;

const cases: Case[] = [
  // the last enabled admin
  ["demoting the last enabled admin", ACTOR, admin(2), { role: "manager" }, 1, LAST_ADMIN],
  ["disabling the last enabled admin", ACTOR, admin(2), { disabled: true }, 1, LAST_ADMIN],
  ["demoting yourself as the last admin", ACTOR, admin(ACTOR), { role: "helpdesk" }, 1, LAST_ADMIN],
  ["disabling yourself as the last admin", ACTOR, admin(ACTOR), { disabled: true }, 1, LAST_ADMIN],
  ["demoting an admin when the count is (inconsistently) 0", ACTOR, admin(2), { role: "tape" }, 0, LAST_ADMIN],
  ["keeping the last admin an admin", ACTOR, admin(2), { role: "admin" }, 1, null],
  ["re-enabling the last admin (disabled: false)", ACTOR, admin(2), { disabled: false }, 1, null],
  ["an empty change on the last admin", ACTOR, admin(2), {}, 1, null],
  // another admin when there are several
  ["demoting another admin when 2 are enabled", ACTOR, admin(2), { role: "manager" }, 2, null],
  ["disabling another admin when 2 are enabled", ACTOR, admin(2), { disabled: true }, 2, null],
  ["demoting and disabling another admin when 3 are enabled", ACTOR, admin(2), { role: "tape", disabled: true }, 3, null],
  // already-disabled admins do not count as losing an admin
  ["disabling an already-disabled admin, 1 enabled admin", ACTOR, admin(2, true), { disabled: true }, 1, null],
  ["demoting a disabled admin, 1 enabled admin", ACTOR, admin(2, true), { role: "manager" }, 1, null],
  // self changes
  ["disabling yourself with other admins around", ACTOR, admin(ACTOR), { disabled: true }, 2, SELF_DISABLE],
  ["disabling yourself as a non-admin", 5, user(5, "manager"), { disabled: true }, 1, SELF_DISABLE],
  ["changing your own role with other admins around", ACTOR, admin(ACTOR), { role: "manager" }, 2, SELF_ROLE],
  ["a non-admin promoting themselves", 5, user(5, "helpdesk"), { role: "admin" }, 1, SELF_ROLE],
  ["setting your own role to the role you already have", ACTOR, admin(ACTOR), { role: "admin" }, 1, null],
  ["enabling yourself (disabled: false)", 5, user(5, "tape"), { disabled: false }, 1, null],
  // non-admin targets
  ["promoting a manager to admin", ACTOR, user(3, "manager"), { role: "admin" }, 1, null],
  ["demoting a manager to helpdesk", ACTOR, user(3, "manager"), { role: "helpdesk" }, 1, null],
  ["disabling a helpdesk user", ACTOR, user(3, "helpdesk"), { disabled: true }, 1, null],
  ["disabling a tape operator", ACTOR, user(3, "tape"), { disabled: true }, 1, null],
  ["re-enabling a disabled tape operator", ACTOR, user(3, "tape", true), { disabled: false }, 1, null],
];

describe("refuseUserChange", () => {
  it.each(cases)("%s", (_name, actorId, target, change, enabledAdmins, refused) => {
    const reason = refuseUserChange(actorId, target, change, enabledAdmins);
    if (refused === null) expect(reason).toBeNull();
    else expect(reason).toMatch(refused);
  });

  it("reports the last-admin rule before the self rules (the more useful message)", () => {
    expect(refuseUserChange(ACTOR, admin(ACTOR), { disabled: true }, 1)).toMatch(LAST_ADMIN);
  });
});

describe("USERNAME_PATTERN", () => {
  it.each([
    "ab",
    "admin",
    "a1",
    "0day",
    "jane.doe",
    "jane_doe",
    "jane-doe",
    "x".repeat(32),
    "a-._9",
  ])("accepts %j", (name) => expect(USERNAME_PATTERN.test(name)).toBe(true));

  it.each([
    "",
    "a", // too short
    "x".repeat(33), // too long
    "Admin", // upper case
    ".hidden", // must start with a letter or digit
    "-dash",
    "_under",
    "jane doe", // space
    "jane@example", // @
    "jäne", // non-ASCII
    "admin\n",
    "a/b",
  ])("rejects %j", (name) => expect(USERNAME_PATTERN.test(name)).toBe(false));
});
