"""A real Dovecot IMAP server (Debian's dovecot-imapd) on a loopback port, with one user.

Use the `dovecot` fixture (import `dovecot_server` into a conftest or a test module): tests
put messages in with a real IMAP APPEND and read the flags the server holds. `running_dovecot`
starts one with extra settings. Skipped when Dovecot is not installed.

Dovecot never touches mail as root, so when the suite runs as root the mail processes run as
`nobody`, the login processes as `dovenull`, and the maildir lives in a short directory under
/tmp that `nobody` can reach (pytest's tmp_path is private to root). The sockets go there too:
a Unix socket path may not exceed 107 bytes, which a tmp_path named after a test can.
"""

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import SEEN, IMAPClient

from tests.smtp_sink import free_port

DOVECOT = Path("/usr/sbin/dovecot")

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {run_dir}
state_dir = {state_dir}
log_path = {log_path}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
# A wrong password is answered at once instead of after the default two seconds.
auth_failure_delay = 0
default_internal_user = {internal_user.pw_name}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_uid = {mail_uid}
mail_gid = {mail_gid}
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users_path}
}}
userdb {{
  driver = passwd-file
  args = {users_path}
}}
# chroot needs root; a test server gains nothing from it.
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{extra_config}
"""


@dataclass
class Dovecot:
    host: str
    port: int
    username: str
    password: str

    @contextmanager
    def client(self, folder: str = "INBOX") -> Iterator[IMAPClient]:
        with IMAPClient(self.host, port=self.port, ssl=False, timeout=10) as client:
            client.login(self.username, self.password)
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.select_folder(folder)
            yield client

    def append(self, raw: bytes, *, folder: str = "INBOX", flags: Sequence[bytes] = ()) -> None:
        with self.client(folder) as client:
            client.append(folder, raw, flags=flags)

    def search(self, criteria: str = "ALL", *, folder: str = "INBOX") -> list[int]:
        with self.client(folder) as client:
            return client.search(criteria)

    def seen(self, *, folder: str = "INBOX") -> list[bool]:
        """Whether each message of the folder is flagged \\Seen, in order."""
        with self.client(folder) as client:
            flags = client.get_flags(client.search("ALL"))
            return [SEEN in flags[uid] for uid in sorted(flags)]


def process_users() -> tuple[pwd.struct_passwd, str, pwd.struct_passwd]:
    """The users Dovecot's processes run as: (internal, login, mail)."""
    me = pwd.getpwuid(os.getuid())
    if os.getuid() != 0:
        # Not root: Dovecot cannot change users, so every process runs as us.
        return me, me.pw_name, me
    # Root: imap-login refuses to run as root, and so does mail access.
    try:
        login_user = pwd.getpwnam("dovenull").pw_name  # created by the Debian package
    except KeyError:
        login_user = "nobody"
    return me, login_user, pwd.getpwnam("nobody")


@contextmanager
def running_dovecot(
    directory: Path,
    *,
    username: str = "support",
    password: str = "secret-imap-1",
    extra_config: str = "",
) -> Iterator[Dovecot]:
    """Start Dovecot in the foreground with its configuration and log in `directory`."""
    if not DOVECOT.exists():
        pytest.skip(f"Dovecot is not installed ({DOVECOT}): apt-get install dovecot-imapd")
    short_dir = Path(tempfile.mkdtemp(prefix="dovecot-"))
    try:
        port = free_port()
        config_path = write_config(
            directory,
            short_dir,
            port=port,
            username=username,
            password=password,
            extra_config=extra_config,
        )
        with dovecot_process(config_path, port):
            yield Dovecot(host="127.0.0.1", port=port, username=username, password=password)
    finally:
        shutil.rmtree(short_dir, ignore_errors=True)


def write_config(
    directory: Path,
    short_dir: Path,
    *,
    port: int,
    username: str,
    password: str,
    extra_config: str,
) -> Path:
    internal_user, login_user, mail_user = process_users()
    short_dir.chmod(0o755)  # the unprivileged processes reach their sockets and mail in it
    home = short_dir / "mail" / username
    home.mkdir(parents=True)
    os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    (directory / "state").mkdir(parents=True, exist_ok=True)
    users_path = directory / "users"
    # passwd-file: user:password:uid:gid:gecos:home; uid and gid come from mail_uid/mail_gid.
    users_path.write_text(f"{username}:{{PLAIN}}{password}::::{home}\n")
    config_path = directory / "dovecot.conf"
    config_path.write_text(
        CONFIG.format(
            run_dir=short_dir / "run",
            state_dir=directory / "state",
            log_path=directory / "dovecot.log",
            internal_user=internal_user,
            internal_group=grp.getgrgid(internal_user.pw_gid).gr_name,
            login_user=login_user,
            mail_uid=mail_user.pw_uid,
            mail_gid=mail_user.pw_gid,
            users_path=users_path,
            port=port,
            extra_config=extra_config,
        )
    )
    return config_path


@contextmanager
def dovecot_process(config_path: Path, port: int) -> Iterator[subprocess.Popen]:
    # Errors found before the log is open (a bad setting) go to the standard output.
    with open(config_path.parent / "dovecot.out", "wb") as output:
        process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(config_path)], stdout=output, stderr=output
        )
    try:
        wait_for_port(port, process, config_path.parent)
        yield process
    finally:
        # The master stops its children (auth, login, imap) before it exits.
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_port(port: int, process: subprocess.Popen, directory: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = "\n".join(
                path.read_text(errors="replace")
                for path in (directory / "dovecot.out", directory / "dovecot.log")
                if path.exists()
            )
            raise RuntimeError(f"Dovecot exited with status {process.returncode}:\n{output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Dovecot did not listen on port {port} within 10 s")


# Named apart from its fixture name so that a module importing it does not see the test
# parameter `dovecot` as a redefinition of the import.
@pytest.fixture(name="dovecot")
def dovecot_server(tmp_path: Path) -> Iterator[Dovecot]:
    """A running Dovecot with an empty INBOX for one user."""
    with running_dovecot(tmp_path / "dovecot") as server:
        yield server
