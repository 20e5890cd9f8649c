#!/usr/bin/env node
import "../dist/src/Main.js"
