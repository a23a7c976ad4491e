import sys

from scenelang.cli import main

sys.exit(main())
