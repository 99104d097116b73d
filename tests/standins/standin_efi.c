/* EFI loader stand-in (bootmgfw.efi, wimboot): reports PXE base code packets, load options and device files. */
/*
 * Built with gnu-efi; -DMARKER="\"name\"" names it.  Output lines on COM1:
 *   STANDIN-EFI <marker> start
 *   STANDIN-EFI <marker> options=<load options as ASCII>
 *   STANDIN-EFI <marker> pxebc=device|any|none handles=<n>
 *   STANDIN-EFI <marker> pkt=dhcpack received=<0|1> siaddr=<a.b.c.d: the TFTP server a loader (bootmgfw, GRUB)
 *                        takes from the packet> file=<boot file> opt252=<value or ->
 *   STANDIN-EFI <marker> pkt=pxereply received=<0|1> siaddr=... file=... opt252=...
 *   STANDIN-EFI <marker> fs=device|none
 *   STANDIN-EFI <marker> file=<name> size=<bytes>        (one per root directory entry)
 *   STANDIN-EFI <marker> snp=device|none state=<0 stopped|1 started|2 initialized|-> open=<ok or error-<low byte of
 *                        the status> of an exclusive by-driver open, as iPXE's SNP driver makes; closed at once>
 *   STANDIN-EFI <marker> end
 * then writes 0x10 to port 0xf4 (isa-debug-exit: QEMU exit code 33).
 */
#include <efi.h>
#include <efilib.h>

#ifndef MARKER
#define MARKER "efi"
#endif

#define COM1 0x3f8
#define EXIT_PORT 0xf4
#define MAX_FILES 64
#define PACKET_SIZE 1472
#define OPTIONS_START 240
#define FILE_FIELD 108
#define SIADDR_FIELD 20

static void outb(UINT16 port, UINT8 val)
{
    __asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static UINT8 inb(UINT16 port)
{
    UINT8 val;
    __asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

static void putc_serial(char c)
{
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        ;
    outb(COM1, (UINT8)c);
}

/* Write one character to COM1 (OVMF mirrors ConOut there too, so ConOut is not used); control bytes become '?'. */
static void emit(char c)
{
    if (c != '\n' && (c < 0x20 || c > 0x7e))
        c = '?';
    if (c == '\n')
        putc_serial('\r');
    putc_serial(c);
}

static void say(const char *s)
{
    for (int i = 0; s[i] && i < 4096; i++)
        emit(s[i]);
}

static void say_bytes(const UINT8 *p, UINTN len)
{
    for (UINTN i = 0; i < len && p[i]; i++)
        emit((char)p[i]);
}

static void say_num(UINTN n)
{
    char buf[24];
    int i = 23;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n && i > 0);
    say(buf + i);
}

static void begin(void)
{
    say("STANDIN-EFI " MARKER " ");
}

static void say_option252(const UINT8 *raw)
{
    UINTN i = OPTIONS_START;
    while (i + 1 < PACKET_SIZE) {
        UINT8 code = raw[i];
        if (code == 255)
            break;
        if (code == 0) {
            i++;
            continue;
        }
        UINT8 len = raw[i + 1];
        if (i + 2 + len > PACKET_SIZE)
            break;
        if (code == 252) {
            say_bytes(raw + i + 2, len);
            return;
        }
        i += 2 + len;
    }
    say("-");
}

static void report_packet(const char *name, BOOLEAN received, EFI_PXE_BASE_CODE_PACKET *pkt)
{
    begin();
    say("pkt=");
    say(name);
    say(" received=");
    say_num(received ? 1 : 0);
    say(" siaddr=");
    for (int i = 0; received && i < 4; i++) {
        say_num(pkt->Raw[SIADDR_FIELD + i]);
        say(i < 3 ? "." : "");
    }
    say(" file=");
    if (received)
        say_bytes(pkt->Raw + FILE_FIELD, 128);
    say(" opt252=");
    if (received)
        say_option252(pkt->Raw);
    else
        say("-");
    say("\n");
}

static EFI_PXE_BASE_CODE *find_pxe(EFI_HANDLE device)
{
    EFI_PXE_BASE_CODE *pxe = NULL;
    EFI_HANDLE *handles = NULL;
    UINTN count = 0;
    const char *where = "none";

    if (device && !EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, device,
                                               &PxeBaseCodeProtocol, (void **)&pxe)))
        where = "device";
    uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol, &PxeBaseCodeProtocol,
                      NULL, &count, &handles);
    if (!pxe && count > 0 &&
        !EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, handles[0],
                                     &PxeBaseCodeProtocol, (void **)&pxe)))
        where = "any";
    begin();
    say("pxebc=");
    say(where);
    say(" handles=");
    say_num(count);
    say("\n");
    return pxe;
}

static void report_pxe(EFI_HANDLE device)
{
    EFI_PXE_BASE_CODE *pxe = find_pxe(device);
    if (!pxe || !pxe->Mode)
        return;
    report_packet("dhcpack", pxe->Mode->DhcpAckReceived, &pxe->Mode->DhcpAck);
    report_packet("pxereply", pxe->Mode->PxeReplyReceived, &pxe->Mode->PxeReply);
}

/* Whether the device handle carries a Simple Network Protocol a next loader (iPXE's SNP driver) could take over. */
static void report_snp(EFI_HANDLE image_handle, EFI_HANDLE device)
{
    EFI_SIMPLE_NETWORK *snp = NULL;
    void *taken = NULL;
    EFI_STATUS status;

    begin();
    if (!device || EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, device,
                                               &SimpleNetworkProtocol, (void **)&snp)) || !snp) {
        say("snp=none state=- open=-\n");
        return;
    }
    say("snp=device state=");
    say_num(snp->Mode ? snp->Mode->State : 9);
    status = uefi_call_wrapper(BS->OpenProtocol, 6, device, &SimpleNetworkProtocol, &taken, image_handle, device,
                               EFI_OPEN_PROTOCOL_BY_DRIVER | EFI_OPEN_PROTOCOL_EXCLUSIVE);
    say(" open=");
    if (EFI_ERROR(status)) {
        say("error-");
        say_num(status & 0xff);
    } else {
        say("ok");
        uefi_call_wrapper(BS->CloseProtocol, 4, device, &SimpleNetworkProtocol, image_handle, device);
    }
    say("\n");
}

static void say_file_entry(EFI_FILE_INFO *info)
{
    begin();
    say("file=");
    for (UINTN i = 0; info->FileName[i] && i < 256; i++)
        emit((char)(info->FileName[i] < 0x80 ? info->FileName[i] : '?'));
    say(" size=");
    say_num(info->FileSize);
    say("\n");
}

static void report_files(EFI_HANDLE device)
{
    EFI_FILE_IO_INTERFACE *fs = NULL;
    EFI_FILE_HANDLE root = NULL;
    UINT8 buf[1024];

    begin();
    if (!device || EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, device,
                                               &FileSystemProtocol, (void **)&fs)) ||
        EFI_ERROR(uefi_call_wrapper(fs->OpenVolume, 2, fs, &root))) {
        say("fs=none\n");
        return;
    }
    say("fs=device\n");
    for (int n = 0; n < MAX_FILES; n++) {
        UINTN size = sizeof(buf);
        if (EFI_ERROR(uefi_call_wrapper(root->Read, 3, root, &size, buf)) || size == 0)
            break;
        say_file_entry((EFI_FILE_INFO *)buf);
    }
    uefi_call_wrapper(root->Close, 1, root);
}

static void report_options(EFI_LOADED_IMAGE *image)
{
    begin();
    say("options=");
    if (image && image->LoadOptions) {
        CHAR16 *opt = image->LoadOptions;
        UINTN chars = image->LoadOptionsSize / sizeof(CHAR16);
        for (UINTN i = 0; i < chars && i < 512 && opt[i]; i++)
            emit((char)(opt[i] < 0x80 ? opt[i] : '?'));
    }
    say("\n");
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image_handle, EFI_SYSTEM_TABLE *systab)
{
    EFI_LOADED_IMAGE *image = NULL;
    EFI_HANDLE device = NULL;

    InitializeLib(image_handle, systab);
    begin();
    say("start\n");
    if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image_handle,
                                     &LoadedImageProtocol, (void **)&image)) && image)
        device = image->DeviceHandle;
    report_options(image);
    report_pxe(device);
    report_files(device);
    report_snp(image_handle, device);     /* last: an exclusive open may disconnect what the lines above used */
    begin();
    say("end\n");
    outb(EXIT_PORT, 0x10);
    for (;;)
        __asm__ volatile("cli; hlt");
    return EFI_SUCCESS;
}
