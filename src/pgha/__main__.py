from pgha.cli import main
import sys
sys.exit(main())
