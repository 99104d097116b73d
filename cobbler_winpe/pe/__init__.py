"""PE images (EFI loaders): their Authenticode signatures and what Secure Boot makes of each boot chain."""
