// The Pulumi engine's event types (apitype.EngineEvent), as the engine names them: listed in
// the schema as the EngineEventType enum. appendUpdateEvents accepts newer types too.

export const ENGINE_EVENT_TYPES = {
  cancelEvent: "The update was cancelled, or ended.",
  stdoutEvent: "A message the CLI printed (warnings, progress text).",
  diagnosticEvent: "A diagnostic message: a warning or error, possibly about one resource.",
  preludeEvent: "The update's configuration, sent before the first step.",
  summaryEvent: "The resource changes and duration, sent at the end.",
  resourcePreEvent: "A step on a resource is about to run.",
  resOutputsEvent: "A step on a resource ran; its outputs are known.",
  resOpFailedEvent: "A step on a resource failed.",
  policyEvent: "A policy pack reported a violation.",
  policyRemediationEvent: "A policy pack changed a resource's properties.",
  policyLoadEvent: "A policy pack was loaded.",
  startDebuggingEvent: "A program is waiting for a debugger.",
  progressEvent: "Progress of a long-running task (e.g. a plugin download).",
  errorEvent: "An error that ends the update.",
} as const;

export type EngineEventTypeValue = keyof typeof ENGINE_EVENT_TYPES;

export const EngineEventType = Object.freeze(
  Object.fromEntries(Object.keys(ENGINE_EVENT_TYPES).map((t) => [t, t])) as { readonly [K in EngineEventTypeValue]: K },
);

/** `type` when the enum lists it, else null. */
export const knownEngineEventType = (type: string): EngineEventTypeValue | null =>
  Object.hasOwn(ENGINE_EVENT_TYPES, type) ? (type as EngineEventTypeValue) : null;
