/**
 * The attackers' vocabulary: every command (and subcommand) the private Redis
 * says it has, fetched with COMMAND at test start, so a command added to Redis
 * is attacked too without editing a list here.
 */
import type { Reply, TestRedis } from "../redis.ts";

/** fetchCommandNames returns ["GET"], ["CONFIG", "GET"], ... for every command and subcommand of the server. */
export async function fetchCommandNames(redis: TestRedis): Promise<string[][]> {
  const reply = await redis.admin("COMMAND");
  if (!Array.isArray(reply)) throw new Error(`COMMAND did not return an array: ${String(reply)}`);
  const names: string[][] = [];
  for (const info of reply) {
    if (!Array.isArray(info) || typeof info[0] !== "string") continue;
    names.push([info[0].toUpperCase()]);
    // Redis 7: element 9 lists the subcommands, each a command info whose name is "parent|sub".
    const subs = info[9];
    if (!Array.isArray(subs)) continue;
    for (const sub of subs as Reply[]) {
      if (Array.isArray(sub) && typeof sub[0] === "string") names.push(sub[0].toUpperCase().split("|"));
    }
  }
  return names;
}
