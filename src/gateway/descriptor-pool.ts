/**
 * The files server reflection answers from: FileDescriptorProtos by file name, and which file
 * declares each symbol (package.Message, package.Message.Nested, package.Enum, package.Service,
 * package.Service.Method). Built from FileDescriptorSets; the first set to bring a file name
 * wins, so schemas the hub loaded take precedence over what agents announced.
 */
import descriptor from "protobufjs/ext/descriptor.js";

interface FileProto {
  name?: string;
  package?: string;
  dependency?: string[];
  messageType?: MessageProto[];
  enumType?: { name?: string }[];
  service?: { name?: string; method?: { name?: string }[] }[];
}
interface MessageProto {
  name?: string;
  nestedType?: MessageProto[];
  enumType?: { name?: string }[];
}

/** Files and symbols from descriptor sets. */
export class DescriptorPool {
  readonly #files = new Map<string, { bytes: Uint8Array; dependencies: string[] }>();
  readonly #symbols = new Map<string, string>();
  readonly #services: string[] = [];

  /** Adds the files of a serialized FileDescriptorSet; one that does not decode is skipped (returns false). */
  add(set: Uint8Array): boolean {
    let files: FileProto[];
    try {
      files = (descriptor.FileDescriptorSet.decode(set) as unknown as { file: FileProto[] }).file;
    } catch {
      return false;
    }
    for (const file of files) {
      const name = file.name ?? "";
      if (name === "" || this.#files.has(name)) continue;
      const bytes = descriptor.FileDescriptorProto.encode(file as never).finish();
      this.#files.set(name, { bytes, dependencies: file.dependency ?? [] });
      const prefix = file.package ? `${file.package}.` : "";
      for (const message of file.messageType ?? []) this.#message(prefix, message, name);
      for (const enumType of file.enumType ?? []) this.#symbol(prefix + (enumType.name ?? ""), name);
      for (const service of file.service ?? []) {
        const full = prefix + (service.name ?? "");
        if (this.#symbol(full, name)) this.#services.push(full);
        for (const method of service.method ?? []) this.#symbol(`${full}.${method.name ?? ""}`, name);
      }
    }
    return true;
  }

  /** Full names of the services the files declare. */
  services(): readonly string[] {
    return this.#services;
  }

  /** Whether `symbol` is declared in some file. */
  has(symbol: string): boolean {
    return this.#symbols.has(symbol);
  }

  /** The file named `name` and every file it imports (transitively), or undefined when unknown. */
  fileByName(name: string): Uint8Array[] | undefined {
    if (!this.#files.has(name)) return undefined;
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const entry = this.#files.get(file);
      if (entry === undefined) return;
      out.push(entry.bytes);
      for (const dependency of entry.dependencies) visit(dependency);
    };
    visit(name);
    return out;
  }

  /** The file declaring `symbol` (a leading "." is ignored) and its imports, or undefined. */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined {
    const file = this.#symbols.get(symbol.replace(/^\./, ""));
    return file === undefined ? undefined : this.fileByName(file);
  }

  #message(prefix: string, message: MessageProto, file: string): void {
    const full = prefix + (message.name ?? "");
    this.#symbol(full, file);
    for (const nested of message.nestedType ?? []) this.#message(`${full}.`, nested, file);
    for (const enumType of message.enumType ?? []) this.#symbol(`${full}.${enumType.name ?? ""}`, file);
  }

  #symbol(symbol: string, file: string): boolean {
    if (this.#symbols.has(symbol)) return false;
    this.#symbols.set(symbol, file);
    return true;
  }
}
