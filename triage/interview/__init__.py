"""The guided interview: question sets, skip logic, the interview loop, session files and the terminal."""
