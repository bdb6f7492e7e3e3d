/**
 * The protos, embedded at build time, turned into (1) the package definition grpc-js
 * serves and (2) the file descriptors server reflection hands to grpcurl.
 *
 * protobufjs' `Root.toDescriptor()` gives one file per package with relative type
 * names, no `dependency` list and no `proto3_optional` flag (the cause of grpcurl's
 * `cannot resolve type "*.google.protobuf.Timestamp"` with @grpc/reflection,
 * grpc-node #2958/#3034). `fixDescriptors` makes every type name fully qualified,
 * lists each file's dependencies and marks proto3 `optional` fields, and both the
 * server and reflection use those fixed descriptors.
 */
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor";
import * as loader from "@grpc/proto-loader";
import type { GrpcObject, ServiceClientConstructor, ServiceDefinition } from "@grpc/grpc-js";
import { loadPackageDefinition } from "@grpc/grpc-js";
import { loadProtoFiles } from "./protos.macro" with { type: "macro" };

const PROTO_FILES: Record<string, string> = loadProtoFiles();

/** File name served by reflection for each package (one descriptor file per package). */
const PACKAGE_FILE: Record<string, string> = {
  "mcias.v1": "mcias/v1/mcias.proto",
  "google.protobuf": "google/protobuf/timestamp.proto",
  "grpc.health.v1": "grpc/health/v1/health.proto",
  "grpc.reflection.v1": "grpc/reflection/v1/reflection.proto",
  "grpc.reflection.v1alpha": "grpc/reflection/v1alpha/reflection.proto",
};

/** How grpc-js (de)serializes our messages: REST field names, numbers, absent = unset. */
export const LOADER_OPTIONS: loader.Options = { keepCase: true, longs: Number, enums: String, defaults: false, arrays: true, oneofs: false };
/** The client's view: unset scalars and lists read as their defaults, unset messages as null. */
export const CLIENT_LOADER_OPTIONS: loader.Options = { ...LOADER_OPTIONS, defaults: true };

interface DescField { name: string; typeName?: string; oneofIndex?: number; proto3Optional?: boolean }
interface DescMessage { name: string; field?: DescField[]; nestedType?: DescMessage[]; oneofDecl?: { name: string }[] }
interface DescMethod { name: string; inputType: string; outputType: string }
interface DescFile { name: string; package: string; dependency?: string[]; messageType?: DescMessage[]; service?: { name: string; method?: DescMethod[] }[] }

type PbReflection = protobuf.ReflectionObject & { toDescriptor?: unknown };

function loadRoot(): protobuf.Root {
  const common = protobuf.common as unknown as Record<string, unknown>;
  for (const [name, text] of Object.entries(PROTO_FILES)) common[name] = text;
  const root = new protobuf.Root();
  // Imports name files relative to the proto root, which is where they are registered.
  root.resolvePath = (_origin: string, target: string) => target;
  root.loadSync(Object.keys(PROTO_FILES), { keepCase: true });
  root.resolveAll();
  return root;
}

function fixDescriptors(root: protobuf.Root): { files: DescFile[]; set: Uint8Array } {
  const desc = (root as unknown as { toDescriptor(e: string): { file: unknown[] } }).toDescriptor("proto3");
  const FileDescriptorSet = (protobuf as unknown as { descriptor: { FileDescriptorSet: protobuf.Type } }).descriptor.FileDescriptorSet;
  const plain = FileDescriptorSet.toObject(desc as unknown as protobuf.Message, { enums: String }) as { file: DescFile[] };
  for (const f of plain.file) {
    const file = PACKAGE_FILE[f.package];
    if (!file) throw new Error(`proto package ${f.package} has no descriptor file name`);
    f.name = file;
    const deps = new Set<string>();
    const use = (fullName: string) => {
      const pkg = Object.keys(PACKAGE_FILE).find((p) => fullName.startsWith(`.${p}.`));
      if (pkg && PACKAGE_FILE[pkg] !== file) deps.add(PACKAGE_FILE[pkg]!);
      return fullName;
    };
    const fixMessage = (m: DescMessage, scope: string) => {
      const type = root.lookupType(`${scope}.${m.name}`);
      for (const fd of m.field ?? []) {
        const pf = type.fields[fd.name]!;
        if (fd.typeName) fd.typeName = use((pf.resolvedType as PbReflection).fullName);
        const oneof = pf.partOf;
        if (oneof && oneof.name === `_${pf.name}` && oneof.oneof.length === 1) fd.proto3Optional = true;
      }
      for (const n of m.nestedType ?? []) fixMessage(n, `${scope}.${m.name}`);
    };
    for (const m of f.messageType ?? []) fixMessage(m, f.package);
    for (const s of f.service ?? []) {
      const svc = root.lookupService(`${f.package}.${s.name}`);
      for (const m of s.method ?? []) {
        const pm = svc.methods[m.name]!;
        m.inputType = use(pm.resolvedRequestType!.fullName);
        m.outputType = use(pm.resolvedResponseType!.fullName);
      }
    }
    f.dependency = [...deps].sort();
  }
  // Dependencies first, so a reader resolving the set in order always finds its imports.
  plain.file.sort((a, b) => (a.dependency?.length ?? 0) - (b.dependency?.length ?? 0));
  const set = FileDescriptorSet.encode(FileDescriptorSet.fromObject(plain)).finish();
  return { files: plain.file, set };
}

export interface Protos {
  /** grpc-js objects by full name, e.g. `grpc["mcias.v1.AuthService"]`. */
  service(fullName: string): ServiceClientConstructor;
  /** Every service full name we define (ours, health, reflection). */
  serviceNames: string[];
  /** Encoded FileDescriptorProto by file name. */
  fileBytes: Map<string, Uint8Array>;
  /** File name defining a fully qualified symbol (service, method, message, enum). */
  fileOfSymbol(symbol: string): string | undefined;
  /** The file first (reflection clients take the first as the one asked for), then everything it imports. */
  withDependencies(file: string): string[];
}

export function loadProtos(options: loader.Options = LOADER_OPTIONS): Protos {
  const root = loadRoot();
  const { files, set } = fixDescriptors(root);
  const def = loader.loadFileDescriptorSetFromBuffer(Buffer.from(set), options);
  const grpcObject = loadPackageDefinition(def);
  const FileDescriptorProto = (protobuf as unknown as { descriptor: { FileDescriptorProto: protobuf.Type } }).descriptor.FileDescriptorProto;
  const fileBytes = new Map<string, Uint8Array>();
  const symbols = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const f of files) {
    fileBytes.set(f.name, FileDescriptorProto.encode(FileDescriptorProto.fromObject(f)).finish());
    deps.set(f.name, f.dependency ?? []);
    const addMessage = (m: DescMessage, scope: string) => {
      symbols.set(`${scope}.${m.name}`, f.name);
      for (const e of (m as { enumType?: { name: string }[] }).enumType ?? []) symbols.set(`${scope}.${m.name}.${e.name}`, f.name);
      for (const n of m.nestedType ?? []) addMessage(n, `${scope}.${m.name}`);
    };
    for (const m of f.messageType ?? []) addMessage(m, f.package);
    for (const e of (f as { enumType?: { name: string }[] }).enumType ?? []) symbols.set(`${f.package}.${e.name}`, f.name);
    for (const s of f.service ?? []) {
      symbols.set(`${f.package}.${s.name}`, f.name);
      for (const m of s.method ?? []) symbols.set(`${f.package}.${s.name}.${m.name}`, f.name);
    }
  }
  const serviceNames = files.flatMap((f) => (f.service ?? []).map((s) => `${f.package}.${s.name}`));
  return {
    service(fullName) {
      let o: unknown = grpcObject;
      for (const part of fullName.split(".")) o = (o as GrpcObject)[part];
      if (typeof o !== "function") throw new Error(`no service ${fullName}`);
      return o as ServiceClientConstructor;
    },
    serviceNames,
    fileBytes,
    fileOfSymbol: (symbol) => symbols.get(symbol.replace(/^\./, "")),
    withDependencies(file) {
      const out: string[] = [];
      const visit = (n: string) => {
        if (out.includes(n)) return;
        for (const d of deps.get(n) ?? []) visit(d);
        out.push(n);
      };
      visit(file);
      return [file, ...out.filter((n) => n !== file)];
    },
  };
}

export type { ServiceDefinition };
