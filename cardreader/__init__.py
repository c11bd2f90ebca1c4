"""Terminal side: transports, APDUs, secure messaging, BAC, PACE, CA, AA, file reading, LDS
parsing."""
