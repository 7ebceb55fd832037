import { describe, expect, it } from "vitest";
import { checkShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { labWorkstationPolicy } from "./lab-policy";

const at = (h: number, m: number) => new Date(2026, 0, 12, h, m);

describe("the lab workstation's policy", () => {
  it("is valid by DPM's rules at any time of day", () => {
    for (let m = 0; m < 24 * 60; m += 7) expect(checkShortTermPolicy(labWorkstationPolicy(at(Math.floor(m / 60), m % 60)), { hasDatabases: true })).toEqual([]);
  });

  it("makes 8 recovery points a day, 3 hours apart, the first at the next quarter hour at least 2 minutes away", () => {
    expect(labWorkstationPolicy(at(10, 7)).recoveryPoints.times).toEqual(["01:15", "04:15", "07:15", "10:15", "13:15", "16:15", "19:15", "22:15"]);
    expect(labWorkstationPolicy(at(10, 14)).recoveryPoints.times).toContain("10:30");
    expect(labWorkstationPolicy(at(23, 59)).recoveryPoints.times[0]).toBe("00:15");
    expect(labWorkstationPolicy(at(10, 7)).synchronization).toEqual({ everyMinutes: 15 });
  });
});
