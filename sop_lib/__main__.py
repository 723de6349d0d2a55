import sys

from sop_lib.cli import main

sys.exit(main())
