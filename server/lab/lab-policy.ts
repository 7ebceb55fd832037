/**
 * The lab workstation's protection policy: as often as DPM allows, so that recovery points turn
 * up while someone watches. DPM allows at most 8 recovery points a day (short-term-policy.ts),
 * so they are 3 hours apart, the first at the first quarter hour at least 2 minutes after the lab
 * set the group up; synchronization runs every 15 minutes (the shortest interval), which puts
 * plenty of synchronizations between two recovery points. The database gets an express full
 * each evening, as DPM's default does.
 */
import { WEEKDAYS, defaultShortTermPolicy, type ShortTermPolicy } from "@/server/domain/protection/short-term-policy";

const DAY_MINUTES = 24 * 60;
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

/** `now` is read in the local time zone, which the servers' schedules use too (they run on this machine). */
export function labWorkstationPolicy(now: Date): ShortTermPolicy {
  const minute = now.getHours() * 60 + now.getMinutes();
  const first = (Math.ceil((minute + 2) / 15) * 15) % DAY_MINUTES;
  const times = Array.from({ length: 8 }, (_, k) => (first + k * 180) % DAY_MINUTES)
    .sort((a, b) => a - b)
    .map(hhmm);
  return {
    ...defaultShortTermPolicy({ hasDatabases: true }),
    synchronization: { everyMinutes: 15 },
    recoveryPoints: { days: [...WEEKDAYS], times },
    slaHours: 4,
  };
}
