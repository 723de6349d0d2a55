import sys

from sop_lib.batch.cli import main

sys.exit(main())
