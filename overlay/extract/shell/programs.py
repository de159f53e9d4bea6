"""Programs a shell command runs besides database clients and dbt: which of them are known to touch no table.

A command that only moves files, waits or prints touches no table; one that runs code (``python -m job``,
``java -jar``, ``spark-submit``, a binary of the team's) may read and write anything, and saying it touches no data
would be a claim overlay cannot make. Rules as data: a program, or a program and its first subcommand.
"""

from __future__ import annotations

# programs that read and write files, the network or the process itself, never a warehouse table
NO_TABLE_PROGRAMS = frozenset({
    "echo", "printf", "true", "false", ":", "sleep", "wait", "exit", "return", "set", "export", "unset", "test", "[", "[[",
    "pwd", "popd", "mkdir", "rm", "rmdir", "cp", "mv", "ln", "ls", "cat", "head", "tail", "touch", "chmod", "chown",
    "stat", "file", "tar", "gzip", "gunzip", "zcat", "zip", "unzip", "bzip2", "xz", "7z", "find", "grep", "egrep", "sed",
    "awk", "sort", "uniq", "wc", "cut", "tr", "tee", "date", "basename", "dirname", "realpath", "readlink", "md5sum",
    "sha1sum", "sha256sum", "base64", "jq", "yq", "curl", "wget", "rsync", "scp", "sftp", "gsutil", "azcopy", "rclone",
    "git", "pip", "pip3", "uv", "kill", "pkill", "ps", "which", "whoami", "hostname", "df", "du", "free", "uptime",
    "mail", "sendmail", "envsubst", "iconv", "split", "csplit", "diff", "cmp", "comm", "paste", "column", "nproc",
    "ssh-keyscan", "openssl", "gpg", "shasum", "truncate", "mktemp", "logger",
    # shell syntax and builtins a command splitter leaves as words
    "fi", "done", "esac", "case", "for", "in", "break", "continue", "shift", "trap", "read", "local", "declare",
    "typeset", "alias", "cd", "pushd", "ulimit", "umask", "eval", "let", "hash", "type",
})
# program -> subcommands that touch no table (the rest of what it can do may)
NO_TABLE_SUBCOMMANDS = {
    "aws": frozenset({"s3", "s3api", "sts", "ecr", "secretsmanager", "ssm", "sns", "sqs", "configure"}),
    "gcloud": frozenset({"storage", "auth", "config", "secrets", "pubsub", "container", "compute", "iam"}),
    "az": frozenset({"storage", "login", "account", "keyvault"}),
    "python": frozenset({"-V", "--version"}),
    "python3": frozenset({"-V", "--version"}),
}


def touches_no_table(program: str, args: list[str]) -> bool:
    """``program args...`` is known to read and write no table."""
    if program in NO_TABLE_PROGRAMS:
        return True
    sub = NO_TABLE_SUBCOMMANDS.get(program)
    if sub is None:
        return False
    first = next((a for a in args if not a.startswith("-")), None) if program not in ("python", "python3") else \
        (args[0] if args else None)
    return first in sub


def describe_run(program: str, args: list[str]) -> str:
    """``python -m extract.job``, ``python main.py``, ``java -jar etl.jar``: what a report names the code by."""
    shown = [program]
    for arg in args[:4]:  # up to the file or module it runs (`-m mod`, `job.py`, `etl.jar`)
        shown.append(arg)
        if not arg.startswith("-") and ("." in arg or "/" in arg):
            break
    text = " ".join(" ".join(shown).split())
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


MAX_SHOWN = 80
