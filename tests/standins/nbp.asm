; BIOS PXE NBP stand-in: reports the cached DHCP packets (TFTP server, boot file, option 252) on COM1, then exits QEMU.
;
; Built with: nasm -f bin -DMARKER='"name"' -o out nbp.asm
; Output lines (COM1, 115200 8N1):
;   STANDIN-NBP <marker> start
;   STANDIN-NBP <marker> pkt=2 siaddr=<a.b.c.d: BOOTP siaddr> file=<boot file field> opt252=<value or ->
;   STANDIN-NBP <marker> pkt=3 siaddr=... file=... opt252=...
;   STANDIN-NBP <marker> end
; then writes 0x10 to port 0xf4 (isa-debug-exit: QEMU exit code 33).
; A failed PXE call prints "pkt=N error".

cpu 386
bits 16
org 0x7c00

%ifndef MARKER
%define MARKER "nbp"
%endif

COM1        equ 0x3f8
EXIT_PORT   equ 0xf4
OPT_MAX     equ 1500            ; never scan further than this into a packet

start:
        xor ax, ax
        mov ds, ax
        mov [pxenv_off], bx
        mov [pxenv_seg], es
        cld
        call serial_init
        mov si, msg_start
        call say_line
        call find_pxenv
        jc .fail_pxenv
        mov word [pkt_type], 2
        call report_packet
        mov word [pkt_type], 3
        call report_packet
        jmp .done
.fail_pxenv:
        mov si, msg_nopxe
        call say_line
.done:
        mov si, msg_end
        call say_line
        mov dx, EXIT_PORT
        mov al, 0x10
        out dx, al
.hang:
        cli
        hlt
        jmp .hang

; ---- PXE stack -----------------------------------------------------------
; find_pxenv: check ES:BX from the loader for "PXENV+", else ask INT 1Ah 5650h.
; Sets rm_entry; CF set when no PXE stack was found.
find_pxenv:
        les di, [pxenv_off]
        call check_sig
        jnc .found
        mov ax, 0x5650
        int 0x1a
        jc .none
        cmp ax, 0x564e
        jne .none
        mov di, bx
        call check_sig
        jc .none
.found:
        mov ax, [es:di+0x0a]
        mov [rm_entry], ax
        mov ax, [es:di+0x0c]
        mov [rm_entry+2], ax
        clc
        ret
.none:
        stc
        ret

; check_sig: CF clear when ES:DI starts with "PXENV+".
check_sig:
        push di
        mov si, sig_pxenv
        mov cx, 6
        repe cmpsb
        pop di
        je .ok
        stc
        ret
.ok:
        clc
        ret

; report_packet: PXENV_GET_CACHED_INFO for [pkt_type], print file field and option 252.
report_packet:
        mov word [gci_status], 0
        mov ax, [pkt_type]
        mov [gci_type], ax
        mov word [gci_size], 0
        mov word [gci_buf_off], 0
        mov word [gci_buf_seg], 0
        mov word [gci_limit], 0
        push ds
        pop es
        mov di, gci_status
        mov bx, 0x0071                  ; PXENV_GET_CACHED_INFO
        push ds
        call far [rm_entry]
        pop ds
        cld
        or ax, ax
        jnz .error
        cmp word [gci_status], 0
        jne .error
        call say_pkt_head
        call say_siaddr
        mov si, msg_file
        call say
        mov gs, [gci_buf_seg]
        mov si, [gci_buf_off]
        add si, 108                     ; BOOTP file field
        mov cx, 128
        call say_field
        mov si, msg_opt
        call say
        call print_opt252
        call newline
        ret
.error:
        call say_pkt_head
        mov si, msg_error
        call say
        call newline
        ret

; say_siaddr: " siaddr=a.b.c.d", the BOOTP siaddr (offset 20) of the packet at GS:[gci_buf_off]: the TFTP
; server pxeboot.n12 would fetch bootmgr.exe from.
say_siaddr:
        mov si, msg_siaddr
        call say
        mov gs, [gci_buf_seg]
        mov bx, [gci_buf_off]
        add bx, 20
        mov cx, 4
.byte:
        mov al, [gs:bx]
        call put_dec
        inc bx
        dec cx
        jz .done
        mov al, '.'
        call putc
        jmp .byte
.done:
        ret

; put_dec: AL (0-255) in decimal, without leading zeros.
put_dec:
        push bx
        push dx
        xor ah, ah
        mov bl, 100
        div bl                          ; al = hundreds, ah = the rest
        mov dl, ah
        mov dh, al                      ; dh nonzero once a digit is out
        or al, al
        jz .tens
        add al, '0'
        call putc
.tens:
        mov al, dl
        xor ah, ah
        mov bl, 10
        div bl                          ; al = tens, ah = ones
        mov dl, ah
        or dh, al
        jz .ones
        add al, '0'
        call putc
.ones:
        mov al, dl
        add al, '0'
        call putc
        pop dx
        pop bx
        ret

; print_opt252: scan the options of the packet at GS:[gci_buf_off] (size gci_size).
print_opt252:
        mov cx, [gci_size]
        cmp cx, OPT_MAX
        jbe .size_ok
        mov cx, OPT_MAX
.size_ok:
        mov bx, [gci_buf_off]
        add cx, bx                      ; cx = end offset
        lea si, [bx+240]                ; after the magic cookie
.next:
        cmp si, cx
        jae .absent
        mov al, [gs:si]
        cmp al, 0xff
        je .absent
        cmp al, 0
        jne .real
        inc si
        jmp .next
.real:
        mov dl, [gs:si+1]               ; option length
        xor dh, dh
        cmp al, 252
        je .found
        add si, dx
        add si, 2
        jmp .next
.found:
        add si, 2
        mov cx, dx
        jmp say_field
.absent:
        mov al, '-'
        jmp putc

; ---- serial output -------------------------------------------------------
serial_init:
        mov dx, COM1+1
        xor al, al
        out dx, al                      ; no interrupts
        mov dx, COM1+3
        mov al, 0x80
        out dx, al                      ; DLAB
        mov dx, COM1
        mov al, 1
        out dx, al                      ; 115200 baud
        mov dx, COM1+1
        xor al, al
        out dx, al
        mov dx, COM1+3
        mov al, 3
        out dx, al                      ; 8N1
        mov dx, COM1+2
        mov al, 0xc7
        out dx, al
        mov dx, COM1+4
        mov al, 0x03
        out dx, al
        ret

; putc: AL to COM1 (bounded wait for the transmitter).
putc:
        push dx
        push cx
        push ax
        mov cx, 0xffff
        mov dx, COM1+5
.wait:
        in al, dx
        test al, 0x20
        jnz .ready
        loop .wait
.ready:
        pop ax
        mov dx, COM1
        out dx, al
        pop cx
        pop dx
        ret

; say: NUL-terminated string at DS:SI.
; "STANDIN-NBP <marker> pkt=<type>" for the packet type in pkt_type
say_pkt_head:
        mov si, msg_prefix
        call say
        mov si, msg_pkt
        call say
        mov al, [pkt_type]
        add al, '0'
        call putc
        ret

say:
        lodsb
        or al, al
        jz .done
        call putc
        jmp say
.done:
        ret

; say_line: prefix, string at DS:SI, newline.
say_line:
        push si
        mov si, msg_prefix
        call say
        pop si
        call say
        jmp newline

; say_field: up to CX bytes at GS:SI, stopping at NUL; non-printables as '?'.
say_field:
        jcxz .done
.loop:
        mov al, [gs:si]
        or al, al
        jz .done
        cmp al, 0x20
        jb .odd
        cmp al, 0x7e
        jbe .put
.odd:
        mov al, '?'
.put:
        call putc
        inc si
        loop .loop
.done:
        ret

newline:
        mov al, 13
        call putc
        mov al, 10
        jmp putc

; ---- data ----------------------------------------------------------------
sig_pxenv   db "PXENV+"
msg_prefix  db "STANDIN-NBP ", MARKER, " ", 0
msg_start   db "start", 0
msg_end     db "end", 0
msg_nopxe   db "no-pxe-stack", 0
msg_pkt     db "pkt=", 0
msg_siaddr  db " siaddr=", 0
msg_file    db " file=", 0
msg_opt     db " opt252=", 0
msg_error   db " error", 0

align 4
pxenv_off   dw 0
pxenv_seg   dw 0
rm_entry    dd 0
pkt_type    dw 0
gci_status  dw 0                        ; t_PXENV_GET_CACHED_INFO
gci_type    dw 0
gci_size    dw 0
gci_buf_off dw 0
gci_buf_seg dw 0
gci_limit   dw 0
