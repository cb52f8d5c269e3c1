// One source of truth for uniform layouts: the TypeScript field list generates both the WGSL
// struct and the byte packing, so the two cannot drift apart.
export type ScalarType = 'u32' | 'i32' | 'f32';

export class ParamLayout<Name extends string = string> {
  /** Every scalar is 4 bytes; the struct is padded to 16 bytes as uniform buffers require. */
  readonly byteSize: number;

  constructor(readonly fields: readonly (readonly [Name, ScalarType])[]) {
    this.byteSize = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  }

  /** The WGSL declaration, e.g. `struct Params { m: u32, n: u32, alpha: f32, }`. */
  wgsl(structName = 'Params'): string {
    const body = this.fields.map(([name, type]) => `  ${name}: ${type},`).join('\n');
    return `struct ${structName} {\n${body}\n}\n`;
  }

  /** Writes the values at their byte offsets; a missing or non-finite-where-integer field is an error. */
  pack(values: Record<Name, number>, target = new ArrayBuffer(this.byteSize), byteOffset = 0): ArrayBuffer {
    const view = new DataView(target, byteOffset, this.byteSize);
    this.fields.forEach(([name, type], i) => {
      const v = values[name];
      if (v === undefined) throw new Error(`uniform field "${name}" has no value`);
      if (type === 'f32') view.setFloat32(i * 4, v, true);
      else {
        if (!Number.isInteger(v)) throw new Error(`uniform field "${name}" (${type}) must be an integer, got ${v}`);
        if (type === 'u32') view.setUint32(i * 4, v, true);
        else view.setInt32(i * 4, v, true);
      }
    });
    return target;
  }
}
