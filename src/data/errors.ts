// Errors of the data module: every message names what was wrong and what was expected.
import { WidenetError } from '../gpu/errors';

/** A data set or target that cannot be built as asked (unknown kind, wrong dimension, bad seed...). */
export class DataError extends WidenetError {}
