"""Sync-time files beyond the boot trees: the per-distro WinPE image, Samba include and data share, TFTP remap
rules and DHCP snippets, all from the generators in cobbler_winpe.gen."""
import fcntl
import hashlib
import logging
import os
import pwd
import shutil
import stat

from cobbler_winpe import names, snippets
from cobbler_winpe.adapter import items
from cobbler_winpe.errors import MediaError
from cobbler_winpe.fsutil import remove_dead_temps, write_atomic
from cobbler_winpe.host import drivers as host_drivers, tree
from cobbler_winpe.gen import dhcp, layout, remap, samba, schema, staging, startnet
from cobbler_winpe.gen.model import WINPE
from cobbler_winpe.wim import extract

LOG = logging.getLogger("cobbler_winpe")
WINPE_WIM = "winpe.wim"          # cache/<distro>/winpe.wim: boot.wim with the start files, made once per change
SYSTEM32 = "Windows/System32/"
SHARE_FILE_MODE, SHARE_DIR_MODE = 0o640, 0o750   # data share: root and the share account's group only


def templates(server):
    """The templates of every generated text (scripts, answer files): looked up as Cobbler looks up snippets in
    its autoinstall_snippets_dir (SERVER.snippet_dir, from Cobbler's settings: items.server_of), then shipped."""
    return snippets.Templates(server.snippet_dir)


def clone(source, dest):
    """Copy SOURCE to DEST sharing blocks when the file system can (reflink), else a plain copy."""
    try:
        with open(source, "rb") as src, open(dest, "wb") as dst:
            fcntl.ioctl(dst.fileno(), 0x40049409, src.fileno())   # FICLONE
        return
    except OSError:
        pass
    shutil.copyfile(source, dest)


def winpe_wim(distro, boot_wim, cache, server, cfg, password):
    """cache/WINPE_WIM: the distro's boot.wim with startnet.cmd, winpeshl.ini and the HTTP helper inside.

    Rebuilt only when the start files change (a digest sits beside it; a re-import replaces the whole cache).
    wimlib always updates a copy (reflinked where the file system can) in a work folder, never the mirror's
    boot.wim: a kill during the update leaves a half-written copy, which the next build discards, and the
    mirror's boot.wim intact.  When the plugin made the mirror (an ISO import of setup media), the mirror's boot.wim
    is then hard-linked to the new image, so one copy of boot.wim is on disk after each build."""
    files = startnet.winpe_files(distro, server, cfg, password, templates=templates(server), scan=host_drivers.scan)
    driver_files = startnet.winpe_driver_files(distro, host_drivers.scan)       # network drivers, loaded before wpeinit
    stats = sorted((rel, os.stat(path).st_size, os.stat(path).st_mtime_ns) for rel, path in driver_files.items())
    digest = hashlib.sha256(repr((sorted(files.items()), stats, distro.boot_index)).encode()).hexdigest()
    target, stamp = os.path.join(cache, WINPE_WIM), os.path.join(cache, WINPE_WIM + ".sha256")
    if os.path.exists(target) and read_line(stamp) == digest:
        return target
    # a WinPE of its own keeps its mirror's image pristine: switching back to its own start files needs it
    owned = distro.meta.get(schema.MIRROR_OWNED) == "1" and distro.kind != WINPE
    work = os.path.join(cache, ".winpe-work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        image = os.path.join(work, WINPE_WIM)
        clone(boot_wim, image)
        for name, text in files.items():
            write_atomic(os.path.join(work, name), text)
        inside = {SYSTEM32 + name: os.path.join(work, name) for name in files}
        inside.update((SYSTEM32 + rel, path) for rel, path in driver_files.items())
        extract.update_files(image, distro.boot_index, inside)
        os.replace(image, target)
        if owned:
            relink(target, boot_wim)
        write_atomic(stamp, digest + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    LOG.info("cobbler-winpe: %s: WinPE image updated with its start files", distro.name)
    return target


def own_image(distro, boot_wim, cache):
    """BOOT_WIM, the image as imported, for a distro booted with its own start files; MediaError when an earlier
    build with the plugin's start files replaced the mirror's copy (setup media imported from an ISO)."""
    built = os.path.join(cache, WINPE_WIM)
    if os.path.exists(built) and os.path.samefile(built, boot_wim):
        raise MediaError(boot_wim, "holds the plugin's start files (winpe_start_files was plugin), not the image's own",
                         "re-import the media to boot its own start files")
    return boot_wim


def read_line(path):
    """The first line of PATH, or None when it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().strip()
    except FileNotFoundError:
        return None


def link_or_false(source, dest):
    try:
        os.link(source, dest)
        return True
    except OSError:
        return False


def relink(source, dest):
    """Make DEST a hard link to SOURCE through a temp name (no reader ever sees a missing or partial file)."""
    tmp = os.path.join(os.path.dirname(dest), ".tmp-" + os.path.basename(dest))
    if os.path.lexists(tmp):
        os.unlink(tmp)
    if link_or_false(source, tmp):
        os.replace(tmp, dest)


def share_group(cfg):
    """The gid of the data share's files: the primary group of the account smbd reads them as (smb_user, or
    Samba's default guest account nobody in guest mode); root's when that account does not exist yet."""
    account = "nobody" if cfg.smb_guest else cfg.smb_user
    try:
        return pwd.getpwnam(account).pw_gid
    except KeyError:
        LOG.warning("cobbler-winpe: account %s does not exist: the data share is readable by root only "
                    "(run cobbler-winpe smb-account)", account)
        return 0


def sync_folder(root, files, copies=None, group=0):
    """Make ROOT hold exactly FILES ({relpath: text}) and COPIES ({relpath: host file}, hard-linked or copied
    when changed); the plugin owns ROOT entirely.  FILES are 0640 and folders 0750, group GROUP (owner: this
    process, root under cobblerd): answer files hold passwords, so only root and the share account may read them."""
    copies = copies or {}
    for rel, text in files.items():
        write_atomic(os.path.join(root, rel), text, SHARE_FILE_MODE, group)
    for rel, path in copies.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        tree.write_source(os.path.join(root, rel), staging.Source(path=path))
    for folder, _dirs, entries in os.walk(root, topdown=False):
        for name in entries:
            rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            if rel not in files and rel not in copies:
                os.unlink(os.path.join(folder, name))
        if folder != root and not os.listdir(folder):
            os.rmdir(folder)
        else:
            restrict_folder(folder, group)


def restrict_folder(folder, group):
    st = os.lstat(folder)
    if (stat.S_IMODE(st.st_mode), st.st_gid) != (SHARE_DIR_MODE, group):
        os.chown(folder, -1, group)
        os.chmod(folder, SHARE_DIR_MODE)


def write_service_files(distros, profiles, systems, server, cfg):
    """Samba include and data share, tftpd-hpa and atftpd remap rules, ISC dhcpd and dnsmasq snippets (and no temp file that a
    killed staging left beside them)."""
    for folder in {os.path.dirname(cfg.smb_include), os.path.dirname(cfg.tftpd_rules), os.path.dirname(cfg.atftpd_rules),
                   cfg.dhcp_snippets_dir}:
        remove_dead_temps(folder)
    write_atomic(cfg.smb_include, samba.render_smb_include(distros, server, cfg))
    files = startnet.data_tree(distros, profiles, systems, server, templates(server), cfg, items.skip, host_drivers.scan)
    sync_folder(samba.data_dir(cfg), files, startnet.data_copies(distros, profiles, systems, host_drivers.scan), share_group(cfg))
    write_atomic(cfg.tftpd_rules, remap.render_tftpd_remap(distros))
    write_atomic(cfg.atftpd_rules, remap.render_atftpd_pcre(distros))
    hosts = dhcp.windows_hosts(systems, profiles, distros)
    write_atomic(os.path.join(cfg.dhcp_snippets_dir, "dhcpd-winpe.conf"), dhcp.render_isc_dhcpd(hosts, server))
    write_atomic(os.path.join(cfg.dhcp_snippets_dir, "dnsmasq-winpe.conf"),
                 dhcp.render_dnsmasq(hosts, server, uefi_menu=cfg.uefi_menu, ipxe_menu=cfg.uefi_ipxe_menu))
    if cfg.proxy_dhcp_network:
        write_atomic(os.path.join(cfg.dhcp_snippets_dir, "dnsmasq-proxy.conf"),
                     dhcp.render_dnsmasq_proxy(hosts, server, cfg.proxy_dhcp_network, cfg.uefi_ipxe_menu))


def write_loaders(server, cfg):
    """Debian's iPXE binaries into the TFTP tree (UEFI clients of Windows systems start there), the admin's
    wimboot into the web tree, and the admin's Secure Boot shim, signed iPXE and signed wimboot when configured
    (docs/secure-boot.md); a missing one is left to `cobbler-winpe check` to report."""
    lkrn = os.path.join(os.path.dirname(cfg.ipxe_bios), names.IPXE_LKRN)   # Debian's ipxe package ships both
    wanted = ((server.tftproot, layout.IPXE_EFI, cfg.ipxe_efi), (server.tftproot, layout.IPXE_BIOS, cfg.ipxe_bios),
              (server.tftproot, layout.IPXE_LKRN, lkrn), (server.webdir, layout.WIMBOOT, cfg.wimboot),
              (server.tftproot, layout.IPXE_SHIM, cfg.secure_boot_shim),
              (server.tftproot, layout.IPXE_SIGNED, cfg.secure_boot_ipxe),
              (server.webdir, layout.WIMBOOT_SIGNED, cfg.secure_boot_wimboot))
    for root, rel, source in wanted:
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            tree.write_source(os.path.join(root, rel), staging.Source(path=source))
