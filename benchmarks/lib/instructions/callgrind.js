// Reading callgrind dumps: self instructions (Ir) per function, and a coarse category per
// function from its name, which is how the garbage collector and the JIT compiler are told
// apart from the work a request does (`steady` figures leave those two out).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const GC = 'V8 garbage collector';
export const COMPILER = 'V8 compiler/parser';
export const JIT_CODE = 'JIT code (JS)';

/**
 * The functions of a dump (plain or .gz) with their self Ir and call counts, and the total Ir.
 * @returns {{ fns: { name: string, ob: string, self: number, calls: number }[], total: number }}
 */
export function parseDump(file) {
  let buf = readFileSync(file);
  if (file.endsWith('.gz')) buf = gunzipSync(buf);
  const names = { fn: new Map(), ob: new Map() };
  // "(id) name" defines a compressed name, "(id)" refers to one.
  const name = (kind, spec) => {
    const m = /^\((\d+)\)(?:\s(.*))?$/.exec(spec);
    if (!m) return spec;
    if (m[2] !== undefined) names[kind].set(m[1], m[2]);
    return names[kind].get(m[1]);
  };
  const fns = new Map();
  const get = (fnName, ob) => {
    const key = `${fnName}\u0000${ob}`;
    let f = fns.get(key);
    if (!f) fns.set(key, (f = { name: fnName, ob, self: 0, calls: 0 }));
    return f;
  };
  let ob = '';
  let cob = '';
  let current = null;
  let inCall = false; // the cost line after `calls=` is the call's inclusive cost, not self cost
  let total = 0;
  for (const line of buf.toString('utf8').split('\n')) {
    if (!line) continue;
    const c = line.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      if (inCall) inCall = false;
      else if (current) {
        const ir = Number(line.split(' ')[1] ?? 0);
        current.self += ir;
        total += ir;
      }
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const value = line.slice(eq + 1);
    switch (line.slice(0, eq)) {
      case 'ob':
        ob = name('ob', value);
        break;
      case 'cob':
        cob = name('ob', value);
        break;
      case 'fn':
        current = get(name('fn', value), ob);
        cob = '';
        break;
      case 'cfn':
        inCall = { target: name('fn', value), ob: cob || ob };
        break;
      case 'calls':
        if (inCall) get(inCall.target, inCall.ob).calls += Number(value.split(' ')[0]);
        cob = '';
        break;
    }
  }
  return { fns: [...fns.values()], total };
}

/** The bucket a function's instructions belong to, from its (demangled) name and object. */
export function category({ name = '', ob = '' }) {
  const n = name.replace(/\(anonymous namespace\)/g, 'anon').replace(/\(.*$/, '');
  if (/^0x[0-9a-f]+('\d+)?$/.test(n) || n === '???') return JIT_CODE;
  if (/\bnode::|\buv_|^uv__|llhttp/.test(n) && !/v8::internal::/.test(n)) return 'Node C++ / libuv / llhttp';
  if (
    !/RegExp/.test(n) &&
    /v8::internal::(compiler|baseline|maglev|turboshaft|interpreter)::|v8::internal::[\w:<>]*(Compiler|Compile|Compilation|Parser|Scanner|BytecodeGenerator|BytecodeArrayBuilder|Deoptimizer|Zone|AstValueFactory|AstNodeFactory|DeclarationScope|(?<![A-Za-z])Scope::|SourcePosition|Translat|FeedbackCell::|CodeDesc)/.test(n)
  )
    return COMPILER;
  if (
    /(v8::internal::|heap::base::|cppgc::)[\w:<>, ]*(Scaveng|MarkCompact|Marking|Heap::|Sweep|GCTracer|GarbageCollect|Evacuat|MemoryAllocator|PagedSpace|NewSpace|SemiSpace|LocalHeap|MemoryChunk|RememberedSet|SlotSet|TypedSlot|FreeList|SizeFromMap|ObjectCache|PointersUpdating|RootMarking|Visitor|ArrayBufferSweeper|WeakObjects|Worklist|LargeObjectSpace|ExternalPointerTable|MinorMC|RecordMigrated|MigrateObject|UpdateTypedSlot|ObjectStats|ActiveSystemPages|BasicMemoryChunk|Page::)|heap_internals|heap::base::/.test(n) ||
    /^v8::internal::Heap/.test(n) ||
    // What a full collection runs besides the collector's own classes (seen in Express windows
    // with a mark-compact, ~2–3 k instructions per request, none in the others)
    /v8::internal::(LiveObjectRange|RelocIterator|InternalizedStringTableCleaner|JSFunction::NeedsResetDueToFlushedBytecode|SharedFunctionInfo::ShouldFlushCode)/.test(n)
  )
    return GC;
  if (/v8::internal::[\w:<>, ]*(WriteBarrier|Factory::|AllocateRaw|Allocat)/.test(n)) return 'V8 allocation / write barrier';
  if (/^Builtins_.*(Handler|InterpreterEntry|Interpreter)/.test(n)) return 'V8 interpreter';
  if (/v8::internal::[\w:<>, ]*(IC::|IC\b|ICs|LookupIterator|StubCache|Feedback|Map::|MigrateToMap|MapUpdater|DescriptorArray|FieldIndex|Prototype|TransitionsAccessor|TransitionArray|JSObject::|Object::(Get|Set)|PropertyKey|LookupInRegular|Handler::)/.test(n))
    return 'V8 runtime: IC misses / property lookup';
  if (/^Builtins_/.test(n)) return 'V8 builtins';
  if (/v8::|Runtime_|^v8_|^Builtins/.test(n)) return 'V8 runtime (other)';
  if (/libc\.so|ld-linux|libstdc|libm\.so|libgcc|libpthread/.test(ob)) return 'libc / C++ runtime';
  return 'other native';
}

/** Self Ir per category of a parsed dump. */
export function byCategory(fns) {
  const out = {};
  for (const f of fns) {
    const c = category(f);
    out[c] = (out[c] ?? 0) + f.self;
  }
  return out;
}

/**
 * Calls per request of V8's runtime for object-literal properties: a process can settle into
 * optimised code that defines literal properties through the runtime and stay there (a "slow
 * mode", seen once in six runs of @fastify/rate-limit: 88.8k instead of 71.7k per request).
 * Above 5 per request, a repeat is in that mode.
 */
export const literalRuntimeCalls = (fns) => fns.filter((f) => /Runtime_DefineKeyedOwnPropertyInLiteral/.test(f.name)).reduce((a, f) => a + f.calls, 0);
