@onboarding
Feature: Onboarding — card blacklist and contactless parameters
  Besides the IC lists, an acquirer downloads to its terminals the card blacklist (黑名单下载, 0800
  60.3 390, end 391) and the contactless QuickPass parameters (非接业务参数, 0800 394, end 395),
  without a MAC (cup8583.md §2.4, §3.1). Its replies ask for them when they changed since the
  terminal's last download (header digit 6: 7 卡BIN黑名单下载, 9 非接业务参数下载; §1.1), the sign-on
  reply included. A card on the downloaded blacklist is refused at the terminal, saying the card is
  restricted, and nothing goes to the host for it. The downloaded QuickPass limits replace the ones
  the terminal shipped with (its profile's contactless limits): when the acquirer lowers them, a tap
  over the new limit asks for the PIN.

  @CUP-ONB-017 @severity:critical @mandatory @magstripe
  Scenario: The terminal downloads the card blacklist and refuses a listed card without going online
    Given the host has a new card blacklist for the terminal
    When the operator signs on
    Then the screen shows "签到成功"
    And the terminal downloaded the card blacklist
    When a sale of 1.00 is made with card UP-BLACKLISTED by swiping
    Then the terminal refused card UP-BLACKLISTED as blacklisted without going online

  @CUP-ONB-021 @severity:critical @mandatory @magstripe
  # §1.1 header digit 6 = 7 in the reply of a transaction, not only of a sign-on: the terminal loads the new
  # blacklist before it takes its next transaction (as digit 4 / 5 for the IC lists, CUP-ONB-016).
  Scenario: A transaction reply asking for a new card blacklist makes the terminal load it before its next sale
    Given the host has a new card blacklist for the terminal
    When a sale of 1.00 is made with card UP-DEBIT-MAG by swiping
    And a sale of 2.00 is made with card UP-DEBIT-MAG by swiping
    Then the terminal downloaded the card blacklist before its next sale request

  @CUP-ONB-018 @severity:critical @mandatory @contactless
  Scenario: The terminal applies the QuickPass limits the host downloads and follows when the host lowers them
    Given the host lowers the QuickPass limits to 1.00
    When the operator signs on
    Then the terminal downloaded the contactless parameters
    When a sale of 2.00 is made with card UP-DEBIT-CTLS by tapping
    Then the host received a sale request
    And it carries an encrypted PIN block
    And its CVM results (9F34) say online PIN
