/**
 * Generic netlink and every family with a spec: {@linkcode FamilyClient}
 * speaks any generated family table (`./families/<name>`), raw families by
 * their protocol and generic ones resolved by name through the controller;
 * {@linkcode listFamilies} and {@linkcode resolveFamily} ask the controller
 * directly; the YNL codec and schema types are what the tables are made of.
 *
 * @example
 * ```ts ignore
 * import { FamilyClient } from "jsr:@netlink-ts/netlink/genl";
 * import { ethtool } from "jsr:@netlink-ts/netlink/families/ethtool";
 * await using client = await FamilyClient.open(ethtool);
 * const [info] = await client.do("linkinfo-get", { attrs: { header: { devName: "lo" } } });
 * console.log(info.attrs);
 * ```
 *
 * @module
 */
export {
  type AnyOps,
  type Decoded,
  type DoOptions,
  FamilyClient,
  FamilyUnavailableError,
  GENL_HDRLEN,
  GENL_ID_CTRL,
  type GenlFamily,
  listFamilies,
  type OpRequest,
  type OpsOf,
  readGenlFamily,
  resolveFamily,
} from "./family.ts";
export type { MappedStream } from "../stream_map.ts";
export {
  type Attrs,
  decodeAttrs,
  decodeStruct,
  encodeAttrs,
  encodeStruct,
  structBytes,
} from "./codec.ts";
export type {
  AttrChecks,
  AttrKind,
  AttrSetSpec,
  AttrSpec,
  EnumSpec,
  FamilySpec,
  MemberSpec,
  OpMessage,
  OpSpec,
  StructSpec,
  SubMessageFormat,
} from "./schema.ts";
export { named, namedStruct } from "./names.ts";
export { fromNames, type Nameable } from "./names_in.ts";
export { pyJson, pyPrettyPrint, pyRepr, PySet } from "./pyvalue.ts";
export { ynlReply, YnlViewError, type YnlViewOptions } from "./ynl_view.ts";
/** The overrun item of every event stream (the root exports it too). */
export { isOverrun, Overrun } from "../errors.ts";
