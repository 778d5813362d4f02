import sys

from pgha.cli import main

sys.exit(main())
