/** Loopback addresses and free TCP ports for the lab's processes. */
import net from "node:net";

/** The lab listens on this machine only: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Whether `port` on `host` can be listened on now (it is tried and closed at once). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** The ports of `ports` that are taken on `host`. */
export async function busyPorts(host: string, ports: number[]): Promise<number[]> {
  const free = await Promise.all(ports.map((p) => isPortFree(host, p)));
  return ports.filter((_, i) => !free[i]);
}

/** A first port of `count` consecutive free ones, starting where the system hands out a free port. */
export async function freePortBlock(host: string, count: number, tries = 50): Promise<number> {
  for (let i = 0; i < tries; i++) {
    const first = await new Promise<number>((resolve, reject) => {
      const probe = net.createServer();
      probe.once("error", reject);
      probe.listen({ host, port: 0 }, () => {
        const port = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(port));
      });
    });
    if (first + count - 1 > 65535) continue;
    const block = Array.from({ length: count }, (_, k) => first + k);
    if ((await busyPorts(host, block)).length === 0) return first;
  }
  throw new Error(`no ${count} consecutive free ports found on ${host}`);
}
