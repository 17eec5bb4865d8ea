/**
 * A loaded schema as `google.protobuf.FileDescriptorProto`s, one per source file, named as the
 * files import each other ("swarm/examples/v1/compute.proto"), with their imports listed and
 * every type reference fully qualified: what server reflection hands to clients (grpcurl,
 * grpc-js, grpcio) so they can build the types without the .proto files. protobufjs'
 * own `Root#toDescriptor` groups by package and lists no imports, which such clients refuse.
 */
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor.js";

type Definition = protobuf.Type | protobuf.Enum | protobuf.Service;

/** The files of the well-known types protobufjs bundles (their definitions carry no file name). */
const WELL_KNOWN_FILES: Record<string, string> = {
  Any: "any", Duration: "duration", Timestamp: "timestamp", Empty: "empty", Struct: "struct", Value: "struct", ListValue: "struct",
  NullValue: "struct", FieldMask: "field_mask", DoubleValue: "wrappers", FloatValue: "wrappers", Int64Value: "wrappers",
  UInt64Value: "wrappers", Int32Value: "wrappers", UInt32Value: "wrappers", BoolValue: "wrappers", StringValue: "wrappers", BytesValue: "wrappers",
};

interface FileBuild {
  name: string;
  pkg: string;
  messageType: unknown[];
  enumType: unknown[];
  service: unknown[];
  dependency: Set<string>;
  proto2: boolean;
}

/**
 * Every file of `root` (a resolved protobufjs Root, as `loadProtoFiles` returns) as a
 * serialized FileDescriptorSet, imports before the files that import them. A file is named by
 * its package's folders when its path ends in them ("swarm/examples/v1/compute.proto"), else
 * relative to one of `importPaths`, else by its base name.
 */
export function fileDescriptorSet(root: protobuf.Root, importPaths: readonly string[] = []): Uint8Array {
  const files = new Map<string, FileBuild>();
  const fileOf = (definition: protobuf.ReflectionObject): string => canonicalName(definition, importPaths);
  for (const definition of definitions(root)) {
    const name = fileOf(definition);
    let file = files.get(name);
    if (file === undefined) {
      const pkg = definition.parent === null || definition.parent instanceof protobuf.Root ? "" : definition.parent.fullName.slice(1);
      files.set(name, (file = { name, pkg, messageType: [], enumType: [], service: [], dependency: new Set(), proto2: isProto2(definition) }));
    }
    if (definition instanceof protobuf.Type) {
      const built = definition.toDescriptor(file.proto2 ? "proto2" : "proto3") as unknown as DescriptorProto;
      qualify(definition, built, (type) => file.dependency.add(fileOf(topLevel(type))));
      file.messageType.push(built);
    } else if (definition instanceof protobuf.Enum) {
      file.enumType.push(definition.toDescriptor());
    } else {
      file.service.push(definition.toDescriptor());
      for (const method of definition.methodsArray) {
        method.resolve();
        for (const type of [method.resolvedRequestType, method.resolvedResponseType]) if (type !== null) file.dependency.add(fileOf(topLevel(type)));
      }
    }
  }
  const ordered: FileBuild[] = [];
  const visit = (file: FileBuild, seen: Set<string>): void => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    file.dependency.delete(file.name);
    for (const dependency of file.dependency) {
      const imported = files.get(dependency);
      if (imported !== undefined) visit(imported, seen);
    }
    ordered.push(file);
  };
  const seen = new Set<string>();
  for (const file of files.values()) visit(file, seen);
  const set = descriptor.FileDescriptorSet.create({
    file: ordered.map((file) =>
      descriptor.FileDescriptorProto.create({
        name: file.name,
        package: file.pkg,
        dependency: [...file.dependency],
        messageType: file.messageType,
        enumType: file.enumType,
        service: file.service,
        syntax: file.proto2 ? "proto2" : "proto3",
      }),
    ),
  });
  return descriptor.FileDescriptorSet.encode(set).finish();
}

/** Messages, enums and services declared at file level (nested ones travel inside their message). */
function definitions(namespace: protobuf.NamespaceBase): Definition[] {
  const found: Definition[] = [];
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum || nested instanceof protobuf.Service) found.push(nested);
    else if (nested instanceof protobuf.Namespace) found.push(...definitions(nested));
  }
  return found;
}

interface FieldDescriptor {
  typeName?: string;
}
interface DescriptorProto {
  field: FieldDescriptor[];
  nestedType: DescriptorProto[];
  options?: { mapEntry?: boolean };
}

/** Makes every type reference of `built` (the descriptor of `type`) fully qualified, reporting each referenced type. */
function qualify(type: protobuf.Type, built: DescriptorProto, uses: (type: protobuf.Type | protobuf.Enum) => void): void {
  const entries = new Map(built.nestedType.filter((nested) => nested.options?.mapEntry === true).map((entry) => [(entry as unknown as { name: string }).name, entry]));
  type.fieldsArray.forEach((field, index) => {
    field.resolve();
    const target = field.resolvedType;
    const out = built.field[index]!;
    if (field instanceof protobuf.MapField) {
      // protoc names a map's entry type "<FieldName>Entry" (protobufjs leaves "Entry" off), and clients check it
      const entry = entries.get(out.typeName ?? "");
      const entryName = `${out.typeName ?? ""}Entry`;
      if (entry !== undefined) {
        (entry as unknown as { name: string }).name = entryName;
        if (target !== null) {
          entry.field[1]!.typeName = target.fullName;
          uses(target);
        }
      }
      out.typeName = `${type.fullName}.${entryName}`;
    } else if (target !== null) {
      out.typeName = target.fullName;
      uses(target);
    }
  });
  const nestedTypes = type.nestedArray.filter((nested): nested is protobuf.Type => nested instanceof protobuf.Type);
  const builtNested = built.nestedType.filter((nested) => nested.options?.mapEntry !== true);
  nestedTypes.forEach((nested, index) => {
    const out = builtNested[index];
    if (out !== undefined) qualify(nested, out, uses);
  });
}

function topLevel(object: protobuf.ReflectionObject): protobuf.ReflectionObject {
  let at = object;
  while (at.parent instanceof protobuf.Type) at = at.parent;
  return at;
}

/** The name a file is imported by: relative to an import path, else its package's folders, else its base name. */
function canonicalName(definition: protobuf.ReflectionObject, importPaths: readonly string[]): string {
  const filename = topLevel(definition).filename;
  if (filename === null || filename === undefined) {
    const pkg = definition.parent?.fullName.slice(1) ?? "";
    const known = pkg === "google.protobuf" ? WELL_KNOWN_FILES[definition.name] : undefined;
    return known !== undefined ? `google/protobuf/${known}.proto` : `${pkg.replace(/\./g, "/") || "root"}.proto`;
  }
  const path = filename.replace(/\\/g, "/");
  if (!path.startsWith("/")) return path;
  // the layout buf (and most trees) use: folders = package; else relative to an import path
  const base = path.slice(path.lastIndexOf("/") + 1);
  const pkgDirs = (definition.parent?.fullName.slice(1) ?? "").split(".").filter(Boolean).join("/");
  if (pkgDirs !== "" && path.endsWith(`/${pkgDirs}/${base}`)) return `${pkgDirs}/${base}`;
  for (const dir of importPaths) {
    const prefix = dir.replace(/\\/g, "/").replace(/\/?$/, "/");
    if (path.startsWith(prefix)) return path.slice(prefix.length);
  }
  return base;
}

function isProto2(definition: protobuf.ReflectionObject): boolean {
  return (definition as unknown as { _edition?: string | null })._edition === "proto2";
}
