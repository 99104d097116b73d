"""Boot Configuration Data stores: object model, element encodings and PXE ramdisk store builders."""
