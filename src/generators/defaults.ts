/**
 * The generator's defaults, declared once: the data set (`Dataset`) falls back on them, and the
 * CLI's option declarations (src/cli/options.ts) show and apply them.
 */

/** Device sources (topics health_data_source1..S): the seed project's three devices. */
export const DEFAULT_SOURCES = 3;

/** Patients in total when not given: the seed project's 3 devices with 3 patients each. */
export const DEFAULT_PATIENTS = 9;
