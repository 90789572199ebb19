"""sealdb - sealed (encrypted) SQLite databases through Python's sqlite3 module.

    import sealdb
    con = sealdb.connect("app.db", hexkey="<64 hex digits>")   # a sqlite3.Connection
    con.execute("CREATE TABLE IF NOT EXISTS t(x)")

connect() loads the sealdb loadable extension (libsealdb.so) into this
process's SQLite once, which registers the "sealdb" VFS for the whole
process, and opens the database with sqlite3.connect() on a URI
"file:<path>?vfs=sealdb&hexkey=...". Everything after that is the standard
sqlite3 module: the connection, its cursors and its exceptions are
sqlite3's own.

Standard library only. The Python must be one whose sqlite3 module can load
extensions (Debian's python3 can; many pyenv builds cannot).
"""

import ctypes
import ctypes.util
import os
import sqlite3
import sys
import threading
import urllib.parse

__all__ = [
    "connect", "load", "find_extension", "version",
    "apilevel", "threadsafety", "paramstyle",
    "Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
    "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError",
    "ExtensionError", "ConfigError",
    "Connection", "Cursor", "Row",
    "Binary", "Date", "Time", "Timestamp", "DateFromTicks", "TimeFromTicks", "TimestampFromTicks",
]

# ---- DB-API module attributes, as sqlite3 has them ---------------------------------------------

apilevel = sqlite3.apilevel
threadsafety = sqlite3.threadsafety
paramstyle = sqlite3.paramstyle

Warning = sqlite3.Warning  # noqa: A001 (the DB-API name)
Error = sqlite3.Error
InterfaceError = sqlite3.InterfaceError
DatabaseError = sqlite3.DatabaseError
DataError = sqlite3.DataError
OperationalError = sqlite3.OperationalError
IntegrityError = sqlite3.IntegrityError
InternalError = sqlite3.InternalError
ProgrammingError = sqlite3.ProgrammingError
NotSupportedError = sqlite3.NotSupportedError

Connection = sqlite3.Connection
Cursor = sqlite3.Cursor
Row = sqlite3.Row
Binary = sqlite3.Binary
Date = sqlite3.Date
Time = sqlite3.Time
Timestamp = sqlite3.Timestamp
DateFromTicks = sqlite3.DateFromTicks
TimeFromTicks = sqlite3.TimeFromTicks
TimestampFromTicks = sqlite3.TimestampFromTicks


class ExtensionError(InterfaceError):
    """The sealdb extension cannot be found or loaded into this Python's SQLite."""


class ConfigError(ProgrammingError, ValueError):
    """Bad arguments to connect(): no key source or several, an empty value, ..."""


# ---- finding and loading the extension ---------------------------------------------------------

ENTRY_POINT = "sqlite3_sealdb_init"
_LIBRARY = "libsealdb.so"
_HERE = os.path.dirname(os.path.abspath(__file__))
# python/sealdb/ -> the repository's build directory, build/libsealdb.so
_BUILD_LIBRARY = os.path.normpath(os.path.join(_HERE, "..", "..", "build", _LIBRARY))

_lock = threading.Lock()
_loaded = None  # what load() loaded: a path, or a library name found on the system path


def _existing(path):
    """path, or path + '.so' (as SQLite's load_extension tries), if that is a file."""
    for p in (path, path + ".so"):
        if os.path.isfile(p):
            return p
    return None


def find_extension(extension=None):
    """The sealdb extension to load: `extension` if given, else the environment
    variable SEALDB_EXTENSION if set, else the repository's build/libsealdb.so
    beside this package, else libsealdb on the system's library path. Raises
    ExtensionError naming what was tried."""
    if extension is not None:
        path = os.fsdecode(extension)
        found = _existing(path)
        if not found:
            raise ExtensionError(f"the sealdb extension {path!r} (extension=) does not exist")
        return os.path.abspath(found)
    env = os.environ.get("SEALDB_EXTENSION")
    if env:
        found = _existing(env)
        if not found:
            raise ExtensionError(
                f"the sealdb extension {env!r} (environment variable SEALDB_EXTENSION) "
                "does not exist")
        return os.path.abspath(found)
    if os.path.isfile(_BUILD_LIBRARY):
        return _BUILD_LIBRARY
    name = ctypes.util.find_library("sealdb")
    if name:
        return name
    raise ExtensionError(
        "cannot find the sealdb extension; tried: the extension= argument (not given), "
        "the environment variable SEALDB_EXTENSION (not set), "
        f"{_BUILD_LIBRARY} (no such file), and libsealdb on the system library path "
        "(ctypes.util.find_library('sealdb') found nothing); build the library "
        "(cmake --build build) or pass extension='/path/to/libsealdb.so'")


def _check_can_load():
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        raise ExtensionError(
            f"this Python's sqlite3 module cannot load extensions ({sys.executable}, Python "
            f"{sys.version.split()[0]}: it was built without SQLite extension loading, as many "
            "pyenv builds are), so it cannot load the sealdb VFS; use the distribution's "
            "python3 (on Debian /usr/bin/python3, package python3), or rebuild this Python "
            "with --enable-loadable-sqlite-extensions")


def _same_library(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a == b


def load(extension=None):
    """Loads the sealdb extension into this process's SQLite (once per
    process) and returns what it loaded. The "sealdb" VFS it registers stays
    for the life of the process, for every connection."""
    global _loaded
    with _lock:
        if _loaded is not None:
            if extension is not None:
                wanted = find_extension(extension)
                if not _same_library(wanted, _loaded):
                    raise ExtensionError(
                        f"the sealdb extension is already loaded from {_loaded}; "
                        f"cannot also load {wanted} in the same process")
            return _loaded
        _check_can_load()
        path = find_extension(extension)
        con = sqlite3.connect(":memory:")
        try:
            try:
                con.enable_load_extension(True)
                if sys.version_info >= (3, 12):
                    con.load_extension(path, entrypoint=ENTRY_POINT)
                else:
                    # SQLite derives sqlite3_sealdb_init from the name libsealdb.so
                    con.load_extension(path)
            except sqlite3.Error as e:
                raise ExtensionError(f"cannot load the sealdb extension {path}: {e}") from e
            finally:
                con.enable_load_extension(False)
        finally:
            con.close()
        _loaded = path
        return path


def version(extension=None):
    """The version of the loaded sealdb library ("MAJOR.MINOR.PATCH")."""
    path = load(extension)
    con = sqlite3.connect(":memory:")
    try:
        return con.execute("SELECT sealdb_version()").fetchone()[0]
    except sqlite3.OperationalError:
        pass  # no such SQL function: ask the library itself
    finally:
        con.close()
    fn = ctypes.CDLL(path).sealdb_version
    fn.restype = ctypes.c_char_p
    fn.argtypes = []
    return fn().decode()


# ---- connecting --------------------------------------------------------------------------------

_KEY_SOURCES = ("hexkey", "keyfile", "keyenv", "passphrase")
_HEX = frozenset("0123456789abcdefABCDEF")


def _text(name, value):
    """A parameter value as text: no NUL (SQLite would cut the value there), not empty."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, not {type(value).__name__}")
    if not value:
        raise ConfigError(f"{name} is empty")
    if "\0" in value:
        raise ConfigError(f"{name} contains a NUL character")
    return value


def _params(cipher, hexkey, keyfile, keyenv, passphrase, layout):
    """The sealdb URI parameters, checked as far as they can be here."""
    given = {name: value for name, value in zip(_KEY_SOURCES, (hexkey, keyfile, keyenv, passphrase))
             if value is not None}
    if len(given) != 1:
        which = ", ".join(given) if given else "none"
        raise ConfigError(f"give exactly one key source of {', '.join(_KEY_SOURCES)} "
                          f"(given: {which})")
    params = []
    if cipher is not None:
        params.append(("cipher", _text("cipher", cipher)))
    if layout is not None:
        layout = _text("layout", layout)
        if layout.lower() not in ("hardened", "turso"):
            raise ConfigError(f"unknown layout {layout!r}; expected hardened or turso")
        params.append(("layout", layout))
    (name, value), = given.items()
    value = _text(name, value)
    if name == "hexkey":
        bad = next((i for i, c in enumerate(value) if c not in _HEX), None)
        if bad is not None:
            raise ConfigError(f"hexkey has a character that is not a hex digit at position {bad}")
        if len(value) not in (32, 64):
            raise ConfigError(f"hexkey has {len(value)} digits; expected 32 or 64")
    params.append((name, value))
    return params


def _uri(path, params):
    """file: URI for path with the given query parameters, all percent-escaped."""
    raw = os.fsencode(path)
    escaped = urllib.parse.quote(raw, safe="/")
    # an absolute path gets an empty authority, so "//x" cannot be read as a host
    base = "file://" + escaped if raw.startswith(b"/") else "file:" + escaped
    query = "&".join(f"{k}={urllib.parse.quote(os.fsencode(v), safe='')}" for k, v in params)
    return f"{base}?vfs=sealdb&{query}"


def _file_kind(path):
    try:
        with open(path, "rb") as f:
            magic = f.read(16)
    except OSError:
        return None
    return "plain" if magic == b"SQLite format 3\0" else None


def _explain(err, path, params, detail):
    """err (a sqlite3 error met opening path) with what the sealdb VFS or the
    arguments tell about its cause; the same class, never any key material."""
    msg = str(err)
    source = dict(params)
    if detail:
        text = f"cannot open {path}: {detail} ({msg})"
    elif msg == "file is not a database":
        if _file_kind(path) == "plain":
            text = (f"cannot open {path}: {msg}: it is a plain SQLite database, not a sealed "
                    "one; open it without sealdb, or encrypt it first (sealdb encrypt)")
        else:
            text = (f"cannot open {path}: {msg}: the key given does not open it (wrong key, or "
                    "a cipher or layout other than the file's), or it is not a sealed database")
    elif msg == "unable to open database file":
        hints = []
        if "keyenv" in source and source["keyenv"] not in os.environ:
            hints.append(f"the environment variable {source['keyenv']} is not set")
        if "keyfile" in source and not os.path.isfile(source["keyfile"]):
            hints.append(f"the key file {source['keyfile']} does not exist")
        if not hints:
            hints.append("the file or its directory cannot be opened, or the sealdb VFS "
                         "refused the key or the parameters (" + ", ".join(source) + ")")
        text = f"cannot open {path}: {msg}: " + "; ".join(hints)
    else:
        text = f"cannot open {path}: {msg}"
    new = type(err)(text)
    for attr in ("sqlite_errorcode", "sqlite_errorname"):
        if hasattr(err, attr):
            setattr(new, attr, getattr(err, attr))
    return new


def connect(path, cipher=None, hexkey=None, keyfile=None, keyenv=None, passphrase=None,
            layout=None, extension=None, kdf_ops=None, kdf_mem=None, **sqlite3_kwargs):
    """Opens (or creates) the sealed database at `path` and returns a
    standard sqlite3.Connection.

    path        the database file (a path, not a URI)
    cipher      new databases: the cipher (default aegis256, or aegis128l for
                a 16-byte key); existing ones: checked against the file
    hexkey      the key as 32 or 64 hex digits,
    keyfile     or the path of a key file,
    keyenv      or the name of an environment variable holding the key in hex,
    passphrase  or a passphrase: exactly one of the four
    layout      new databases: "hardened" (default) or "turso"
    extension   the libsealdb.so to load (see find_extension())
    kdf_ops, kdf_mem  a passphrase's Argon2id cost for a new database: passes,
                and memory in KiB (a power of two); defaults 24 and 65536
    **sqlite3_kwargs  passed on to sqlite3.connect (timeout, isolation_level,
                check_same_thread, factory, ...); uri is always True

    The database is read at once, so a wrong key fails here: with
    sqlite3.DatabaseError ("file is not a database: the key given does not
    open it ...") or sqlite3.OperationalError for a file that cannot be
    opened. Bad arguments raise ConfigError; an extension that cannot be
    found or loaded, ExtensionError.

    The key travels to SQLite inside the URI text (SQLite copies it and does
    not wipe it): see docs/SECURITY.md.
    """
    if "uri" in sqlite3_kwargs:
        raise ConfigError("sealdb.connect takes a path and always opens it by URI; "
                          "do not pass uri=")
    path = _text("path", path)
    params = _params(cipher, hexkey, keyfile, keyenv, passphrase, layout)
    for name, value in (("kdf_ops", kdf_ops), ("kdf_mem", kdf_mem)):
        if value is not None:
            if passphrase is None:
                raise ConfigError(f"{name} applies to a passphrase only")
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{name} must be a positive integer")
            params.append((name, str(value)))
    uri = _uri(path, params)
    load(extension)
    try:
        con = sqlite3.connect(uri, uri=True, **sqlite3_kwargs)
    except sqlite3.DatabaseError as e:
        raise _explain(e, path, params, None) from None
    try:
        # read page 1 now, as sealdb_sqlite_open() does: a wrong key fails here
        con.execute("SELECT count(*) FROM sqlite_master").fetchall()
        if getattr(con, "autocommit", None) is False:
            con.rollback()  # PEP 249 mode: drop the read snapshot, begin afresh
    except sqlite3.DatabaseError as e:
        try:
            detail = con.execute("PRAGMA sealdb_error").fetchone()[0]
        except sqlite3.Error:
            detail = None
        con.close()
        raise _explain(e, path, params, None if detail == "ok" else detail) from None
    return con
