// Reading one registry record, kept apart from the writing side (record-file.ts) so that a reader
// such as `list` loads nothing else for it.
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { RegistryCorruptError } from './errors.ts';

/**
 * A record's text and the stats of the very file read, or null when it does not exist. Read in
 * place (small files; see durable-file.ts): opened without following a link and without blocking
 * on a FIFO, then checked by what was opened, so nothing swapped in between is read. Anything but
 * a regular file is RegistryCorruptError naming the file; other errors (EACCES) are thrown as they are.
 */
export function readRecordFile(path: string): { text: string; stats: Stats } | null {
  return readRecordWith(path, (fd) => readFileSync(fd, 'utf8'), (text, stats) => ({ text, stats }));
}

/** readRecordFile's bytes, as they are (a journal read for its hash). */
export function readRecordBytes(path: string): Buffer | null {
  return readRecordWith(path, (fd) => readFileSync(fd), (bytes) => bytes);
}

function readRecordWith<T, R>(path: string, read: (fd: number) => T, result: (data: T, stats: Stats) => R): R | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new RegistryCorruptError(path, 'is a symbolic link, not a file');
    if (code === 'EISDIR') throw new RegistryCorruptError(path, 'is a folder, not a file');
    if (code === 'ENXIO') throw new RegistryCorruptError(path, `is ${kindOf(path)}, not a file`);
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new RegistryCorruptError(path, `is ${stats.isDirectory() ? 'a folder' : stats.isFIFO() ? 'a FIFO' : 'not a regular file'}, not a file`);
    return result(read(fd), stats);
  } finally {
    closeSync(fd);
  }
}

// What a path that could not be opened for reading is (a socket, say), for the message.
function kindOf(path: string): string {
  try {
    const stats = lstatSync(path);
    return stats.isFIFO() ? 'a FIFO' : stats.isSocket() ? 'a socket' : 'not a regular file';
  } catch {
    return 'not a regular file';
  }
}
