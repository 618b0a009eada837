"""Multi-step dialogues on `ConversationHandler`, whose collected data lives in service rows."""

import warnings

from telegram.warnings import PTBUserWarning

# Our dialogues are tracked per chat and user on purpose: buttons of one person's dialogue are
# the only ones in their private chat, so per-message tracking is not needed.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
