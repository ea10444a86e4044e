/**
 * {@linkcode Taskstats}: per-task and per-process accounting from the
 * generic netlink family `TASKSTATS` (TASKSTATS_CMD_GET), over
 * {@linkcode FamilyClient} and the project's spec
 * (tools/specs/taskstats.yaml). `struct taskstats` grew with kernels: the
 * fields a kernel sends are decoded by length, the rest are absent.
 *
 * @module
 */
import { ParseError } from "../errors.ts";
import type { OpenOptions, RequestOptions } from "../socket.ts";
import { FamilyClient } from "../ynl/family.ts";
import { TASKSTATS, type Taskstats as TaskstatsStruct } from "../families/taskstats.ts";

/** The decoded `struct taskstats`; fields the kernel did not send are absent. */
export type TaskStats = TaskstatsStruct;

/**
 * A taskstats client.
 *
 * @example
 * ```ts ignore
 * import { Taskstats } from "./client.ts";
 * await using ts = await Taskstats.open();
 * const s = await ts.pid(Deno.pid);
 * console.log(s.acComm, s.acUtime);
 * ```
 */
export class Taskstats implements AsyncDisposable {
  readonly #client: FamilyClient;

  private constructor(client: FamilyClient) {
    this.#client = client;
  }

  /** Opens a generic netlink socket and resolves the family by name. */
  static async open(options: OpenOptions = {}): Promise<Taskstats> {
    return new Taskstats(await FamilyClient.open(TASKSTATS, options));
  }

  /** Stats of one task (a thread id); `NetlinkError` ESRCH when there is none. */
  pid(pid: number, options: RequestOptions = {}): Promise<TaskStats> {
    return this.#get("pid", pid, options);
  }

  /** Stats summed over a thread group (a process id). */
  tgid(tgid: number, options: RequestOptions = {}): Promise<TaskStats> {
    return this.#get("tgid", tgid, options);
  }

  async #get(key: "pid" | "tgid", id: number, options: RequestOptions): Promise<TaskStats> {
    if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) {
      throw new RangeError(`taskstats: ${key} must be a positive integer, not ${id}`);
    }
    const replies = await this.#client.do("get", { attrs: { [key]: id } }, options);
    for (const r of replies) {
      const aggr = (r.attrs.aggrPid ?? r.attrs.aggrTgid) as { stats?: TaskStats } | undefined;
      if (aggr?.stats) return aggr.stats;
    }
    throw new ParseError(`taskstats: the reply for ${key} ${id} carries no stats`, 0);
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return this.#client.close();
  }

  /** Same as {@linkcode Taskstats.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
