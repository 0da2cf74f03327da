/** Injection tokens of the service runtime. */
export const CONFIG = Symbol('vigil.config');
export const DATABASE = Symbol('vigil.database');
export const NATS = Symbol('vigil.nats');
export const LOGGER = Symbol('vigil.logger');
export const SERVICE_OPTIONS = Symbol('vigil.service-options');
