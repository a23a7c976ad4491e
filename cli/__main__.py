import sys

from scenelang.cli.main import main

sys.exit(main())
